//! The open queue: open items (new and in progress) most urgent first and,
//! within a priority, the post that has waited longest first; the other
//! orders; keyset pages that neither skip nor repeat an item.

use placewatch::domain::triage::{Action, Priority};
use placewatch::store::{ItemFilter, Sort};

use super::{TestStore, batch, matched, post};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

/// Items for posts 1..=9 (post 1 oldest), with these priorities.
async fn queue(t: &TestStore) -> Vec<i64> {
    let priorities = [
        Priority::Normal,
        Priority::High,
        Priority::Low,
        Priority::Urgent,
        Priority::Normal,
        Priority::High,
        Priority::Normal,
        Priority::Urgent,
        Priority::Low,
    ];
    let mut posts = Vec::new();
    for (n, priority) in priorities.into_iter().enumerate() {
        let mut m = matched(post(n as u64 + 1, "Croydon bins"), &["Croydon"]);
        m.decision.priority = priority;
        posts.push(m);
    }
    t.store
        .record_pages(&batch("m", posts))
        .await
        .unwrap()
        .new_items
}

/// The post ids of every page of `filter`, `size` at a time.
async fn pages(t: &TestStore, filter: ItemFilter, size: u32) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut before = None;
    loop {
        let page = t
            .store
            .list_items(&ItemFilter {
                before,
                limit: size,
                ..filter.clone()
            })
            .await
            .unwrap();
        ids.extend(page.items.iter().map(|i| i.post.id));
        match page.next_before {
            Some(b) => before = Some(b),
            None => return ids,
        }
    }
}

#[apply(engines)]
#[tokio::test]
async fn the_open_queue_is_most_urgent_first_then_longest_waiting(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let items = queue(&t).await;
    // Post 8 (urgent) is claimed: still open. Post 6 (high) is dismissed.
    t.store
        .transition(items[7], Action::Claim, "sam")
        .await
        .unwrap();
    t.store
        .transition(items[5], Action::Dismiss, "sam")
        .await
        .unwrap();

    let open = |sort| ItemFilter {
        open: true,
        sort,
        ..ItemFilter::default()
    };
    let by_priority = vec![4, 8, 2, 1, 5, 7, 3, 9];
    for size in [1, 2, 3, 50] {
        assert_eq!(
            pages(&t, open(Sort::Priority), size).await,
            by_priority,
            "pages of {size}"
        );
        assert_eq!(
            pages(&t, open(Sort::OldestWaiting), size).await,
            vec![1, 2, 3, 4, 5, 7, 8, 9]
        );
        assert_eq!(
            pages(&t, open(Sort::Newest), size).await,
            vec![9, 8, 7, 5, 4, 3, 2, 1]
        );
    }
    // Within a place (another index) and within one priority, the same orders.
    let in_place = ItemFilter {
        place: Some("Croydon".into()),
        ..open(Sort::Priority)
    };
    assert_eq!(pages(&t, in_place, 3).await, by_priority);
    let high = ItemFilter {
        priority: Some(Priority::Normal),
        ..open(Sort::Priority)
    };
    assert_eq!(pages(&t, high, 1).await, vec![1, 5, 7]);
    // Everything, by priority: the dismissed item takes its place.
    let all = ItemFilter {
        sort: Sort::Priority,
        ..ItemFilter::default()
    };
    assert_eq!(pages(&t, all, 4).await, vec![4, 8, 2, 6, 1, 5, 7, 3, 9]);
    // The counts are per status, whatever the order.
    let page = t.store.list_items(&open(Sort::Priority)).await.unwrap();
    let open_count: u64 = page
        .counts
        .iter()
        .filter(|(s, _)| s.is_open())
        .map(|(_, n)| n)
        .sum();
    assert_eq!(open_count, 8);
}
