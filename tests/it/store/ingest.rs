//! Pages recorded through the store's one door for ingest: stored whole or
//! not at all, never a second item for a post,
//! cursors and usage moving with the posts.

use placewatch::domain::ingest::{CursorMove, Pending, ReadKind};
use placewatch::domain::triage::{Decision, Priority, Status};
use placewatch::store::{ItemFilter, StoreError};

use super::{TestStore, batch, batch_at, matched, post};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

#[apply(engines)]
#[tokio::test]
async fn a_page_stores_posts_items_usage_and_cursor_together(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let mut c = batch(
        "m1",
        vec![
            matched(
                post(101, "Litter all down Cherry Orchard Road"),
                &["Cherry Orchard Road"],
            ),
            matched(post(102, "Croydon tram stop flooded"), &["Croydon"]),
        ],
    );
    c.context = vec![post(90, "the post 102 replies to")];
    c.reads = 3;
    let outcome = t.store.record_pages(&c).await.unwrap();

    assert_eq!(outcome.new_items.len(), 2);
    assert!(outcome.merged_items.is_empty());
    assert_eq!(outcome.new_posts, 3);
    assert_eq!(t.store.post_count().await.unwrap(), 3);

    let items = t.all_items().await;
    assert_eq!(items.len(), 2, "context posts are not items");
    assert_eq!(items[0].post.id, 102, "newest post first");
    assert_eq!(items[0].places, ["Croydon"]);
    assert_eq!(items[0].status, Status::New);
    assert_eq!(items[0].author.as_ref().unwrap().username, "resident_a");

    let cursor = t.store.cursor("m1").await.unwrap().unwrap();
    assert_eq!(cursor.since_id, Some(102));
    assert_eq!(cursor.posts_read, 2);
    assert_eq!(cursor.items_filed, 2);
    assert_eq!(
        cursor.items_filed_since, None,
        "counted from its first page"
    );
    assert_eq!(cursor.query, "(m1) -is:retweet");
    assert_eq!(
        cursor.last_poll_at.as_deref(),
        Some("2026-11-26T10:00:00.000Z")
    );
    assert_eq!(t.store.usage("2026-11").await.unwrap().post_reads, 3);

    let audit = t.store.audit(None, 10).await.unwrap();
    assert_eq!(audit.len(), 2);
    assert!(
        audit
            .iter()
            .all(|a| a.action == "item.created" && a.actor == "placewatch")
    );
}

#[apply(engines)]
#[tokio::test]
async fn a_failed_page_stores_nothing_and_leaves_the_cursor(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    t.store
        .record_pages(&batch("m1", vec![matched(post(10, "first"), &["Croydon"])]))
        .await
        .unwrap();
    let snapshot = || async {
        let search = ItemFilter {
            text: Some("second".into()),
            ..ItemFilter::default()
        };
        (
            t.store.post_count().await.unwrap(),
            t.store.cursor("m1").await.unwrap(),
            t.store.list_items(&ItemFilter::default()).await.unwrap(),
            t.store.list_items(&search).await.unwrap(),
            t.store.audit(None, 1_000).await.unwrap(),
            t.store.usage("2026-11").await.unwrap(),
        )
    };
    let before = snapshot().await;

    // 70 matched posts: the first 64 are written (one multi-row insert)
    // before the context post whose id does not fit SQLite's INTEGER fails.
    let many = (11..=80)
        .map(|id| matched(post(id, "second wave"), &["Croydon"]))
        .collect();
    let mut bad_post = batch("m1", many);
    bad_post.context = vec![post(81, "fine context"), post(u64::MAX, "an id beyond i64")];
    // Posts, items, audit entries and usage are all written before the
    // cursor's since_id, which does not fit either, fails the page at its end.
    let mut bad_cursor = batch("m1", vec![matched(post(11, "second"), &["Purley"])]);
    bad_cursor.cursor = CursorMove::Complete {
        since_id: Some(u64::MAX),
    };

    for bad in [&bad_post, &bad_cursor] {
        let err = t.store.record_pages(bad).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        assert!(
            snapshot().await == before,
            "nothing of the failed page is visible"
        );
    }

    // The store is still usable and the same page, fixed, goes through.
    bad_post.context.pop();
    let outcome = t.store.record_pages(&bad_post).await.unwrap();
    assert_eq!(outcome.new_posts, 71);
    assert_eq!(outcome.new_items.len(), 70);
    assert_eq!(
        t.store.cursor("m1").await.unwrap().unwrap().since_id,
        Some(80)
    );
}

#[apply(engines)]
#[tokio::test]
async fn the_same_post_twice_makes_one_item(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let c = batch("m1", vec![matched(post(7, "Croydon bins"), &["Croydon"])]);
    let first = t.store.record_pages(&c).await.unwrap();
    let second = t.store.record_pages(&c).await.unwrap();

    assert_eq!(second.new_items, Vec::<i64>::new());
    assert_eq!(second.merged_items, first.new_items);
    assert_eq!(second.new_posts, 0);
    assert_eq!(t.all_items().await.len(), 1);
    // Nothing new to merge: no audit entry for the repeat.
    assert_eq!(t.store.audit(None, 10).await.unwrap().len(), 1);
    // The same post twice within one page is one item too.
    let twice = batch(
        "m2",
        vec![
            matched(post(8, "x"), &["Croydon"]),
            matched(post(8, "x"), &["Purley"]),
        ],
    );
    let outcome = t.store.record_pages(&twice).await.unwrap();
    assert_eq!(outcome.new_items.len(), 1);
    assert!(outcome.merged_items.is_empty());
    assert_eq!(
        t.store.item(outcome.new_items[0]).await.unwrap().places,
        ["Croydon", "Purley"]
    );
}

#[apply(engines)]
#[tokio::test]
async fn two_monitors_finding_one_post_share_one_item_with_places_merged(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let mut by_a = matched(post(42, "Thornton Heath, Croydon: potholes"), &["Croydon"]);
    by_a.decision = Decision {
        tags: vec!["roads".into()],
        matched_rules: vec!["roads".into()],
        ..Decision::default()
    };
    let mut by_b = matched(
        post(42, "Thornton Heath, Croydon: potholes"),
        &["Thornton Heath", "Croydon"],
    );
    by_b.decision = Decision {
        tags: vec!["roads".into(), "urgent-ish".into()],
        matched_rules: vec!["roads".into(), "potholes".into()],
        priority: Priority::High,
        ..Decision::default()
    };
    let a = t.store.record_pages(&batch("a", vec![by_a])).await.unwrap();
    let b = t.store.record_pages(&batch("b", vec![by_b])).await.unwrap();
    assert_eq!(b.merged_items, a.new_items);

    let items = t.all_items().await;
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item.places, ["Croydon", "Thornton Heath"]);
    assert_eq!(item.tags, ["roads", "urgent-ish"]);
    assert_eq!(item.rules, ["roads", "potholes"]);
    assert_eq!(
        item.priority,
        Priority::Normal,
        "a merge keeps what the item had"
    );

    let actions: Vec<String> = t
        .store
        .audit(Some(item.id), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["item.merged", "item.created"]);
    // Both monitors' cursors moved; the item is filed by the first to find
    // the post, and counted once.
    let filed: Vec<(String, u64, u64)> = t
        .store
        .cursors()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.monitor, c.posts_read, c.items_filed))
        .collect();
    assert_eq!(filed, [("a".into(), 1, 1), ("b".into(), 1, 0)]);
    // A second page of a's adds to its count; re-reading the post adds none.
    let again = vec![
        matched(post(42, "Thornton Heath, Croydon: potholes"), &["Croydon"]),
        matched(post(43, "Croydon: more potholes"), &["Croydon"]),
    ];
    t.store.record_pages(&batch("a", again)).await.unwrap();
    let a = t.store.cursor("a").await.unwrap().unwrap();
    assert_eq!((a.posts_read, a.items_filed), (3, 2));
}

#[apply(engines)]
#[tokio::test]
async fn merges_of_one_item_within_a_page_apply_in_order_each_audited(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let text = "Purley Way and Thornton Heath, Croydon";
    let first = t
        .store
        .record_pages(&batch("a", vec![matched(post(9, text), &["Croydon"])]))
        .await
        .unwrap();
    let page = batch(
        "b",
        vec![
            matched(post(9, text), &["Purley Way"]),
            matched(post(10, "Norbury"), &["Norbury"]),
            matched(post(9, text), &["Thornton Heath", "Croydon"]),
            matched(post(9, text), &["Croydon"]),
        ],
    );
    let outcome = t.store.record_pages(&page).await.unwrap();
    assert_eq!(outcome.merged_items, first.new_items);
    assert_eq!(outcome.new_items.len(), 1);

    let item = t.store.item(first.new_items[0]).await.unwrap();
    assert_eq!(item.places, ["Croydon", "Purley Way", "Thornton Heath"]);
    let audit = t.store.audit(Some(item.id), 10).await.unwrap();
    let merges: Vec<_> = audit
        .iter()
        .rev()
        .filter(|a| a.action == "item.merged")
        .map(|a| {
            (
                a.before.clone().unwrap()["places"].clone(),
                a.after.clone().unwrap()["places"].clone(),
            )
        })
        .collect();
    assert_eq!(
        merges,
        [
            (
                serde_json::json!(["Croydon"]),
                serde_json::json!(["Croydon", "Purley Way"])
            ),
            (
                serde_json::json!(["Croydon", "Purley Way"]),
                serde_json::json!(["Croydon", "Purley Way", "Thornton Heath"])
            ),
        ],
        "one entry per merge that changed something, in page order"
    );
    // The derived place rows follow the merged item.
    for place in ["Croydon", "Purley Way", "Thornton Heath"] {
        let page = t
            .store
            .list_items(&ItemFilter {
                place: Some(place.into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let ids: Vec<i64> = page.items.iter().map(|i| i.id).collect();
        assert_eq!(ids, [item.id], "{place}");
    }
}

#[apply(engines)]
#[tokio::test]
async fn a_dismissing_rule_files_the_item_as_dismissed(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let mut m = matched(
        post(5, "Croydon, Victoria (Australia) weather"),
        &["Croydon"],
    );
    m.decision.dismissed = true;
    m.decision.owner = Some("sam".into());
    let id = t
        .store
        .record_pages(&batch("m", vec![m]))
        .await
        .unwrap()
        .new_items[0];
    let item = t.store.item(id).await.unwrap();
    assert_eq!(item.status, Status::Dismissed);
    assert_eq!(item.owner.as_deref(), Some("sam"));
}

#[apply(engines)]
#[tokio::test]
async fn cursors_keep_since_id_on_empty_cycles_and_reset_drops_them(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    t.store
        .record_pages(&batch("m", vec![matched(post(50, "a"), &["Croydon"])]))
        .await
        .unwrap();
    let empty = batch_at("m", vec![], "2026-11-26T11:00:00+00:00");
    t.store.record_pages(&empty).await.unwrap();
    let c = t.store.cursor("m").await.unwrap().unwrap();
    assert_eq!(c.since_id, Some(50));
    assert_eq!(c.last_poll_at.as_deref(), Some("2026-11-26T11:00:00.000Z"));
    assert_eq!(c.posts_read, 1);

    t.store.reset_cursor("m").await.unwrap();
    assert_eq!(t.store.cursor("m").await.unwrap(), None);
    t.store.reset_cursor("never-polled").await.unwrap();
}

#[apply(engines)]
#[tokio::test]
async fn usage_counts_per_month_and_kind(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let mut nov = batch_at(
        "m",
        vec![matched(post(1, "a"), &["Croydon"])],
        "2026-11-30T23:59:59Z",
    );
    nov.reads = 100;
    let mut dec = batch_at("m", vec![], "2026-12-01T00:00:01Z");
    dec.reads = 7;
    let mut owned = batch_at("mentions", vec![], "2026-12-02T08:00:00+01:00");
    owned.reads = 3;
    owned.read_kind = ReadKind::OwnedRead;
    for c in [&nov, &dec, &owned] {
        t.store.record_pages(c).await.unwrap();
    }
    let n = t.store.usage("2026-11").await.unwrap();
    assert_eq!((n.post_reads, n.owned_reads), (100, 0));
    let d = t.store.usage("2026-12").await.unwrap();
    assert_eq!((d.post_reads, d.owned_reads), (7, 3));
    assert_eq!(t.store.usage("2027-01").await.unwrap().post_reads, 0);
}

#[apply(engines)]
#[tokio::test]
async fn threads_list_a_conversation_oldest_first_with_item_ids(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let root = post(200, "root about Croydon");
    let mut reply = post(205, "a reply");
    reply.conversation_id = Some(200);
    reply.replied_to = Some(200);
    let mut context = post(203, "context reply, not matched");
    context.conversation_id = Some(200);
    context.author_id = Some(999); // no author record
    let mut c = batch(
        "m",
        vec![matched(reply, &["Croydon"]), matched(root, &["Croydon"])],
    );
    c.context = vec![context];
    let outcome = t.store.record_pages(&c).await.unwrap();

    let thread = t.store.thread(200).await.unwrap();
    let ids: Vec<u64> = thread.iter().map(|p| p.post.id).collect();
    assert_eq!(ids, [200, 203, 205]);
    assert_eq!(thread[0].item_id, Some(outcome.new_items[1]));
    assert_eq!(thread[1].item_id, None);
    assert_eq!(thread[1].author, None);
    assert_eq!(thread[2].item_id, Some(outcome.new_items[0]));
    assert!(t.store.thread(12345).await.unwrap().is_empty());
}

#[apply(engines)]
#[tokio::test]
async fn posts_after_pages_through_stored_posts_with_their_items(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let mut c = batch(
        "m",
        (1..=5)
            .map(|i| matched(post(i * 10, "p"), &["Croydon"]))
            .collect(),
    );
    c.context = vec![post(15, "context")];
    t.store.record_pages(&c).await.unwrap();
    let page = t.store.posts_after(10, 3).await.unwrap();
    let ids: Vec<u64> = page.iter().map(|(p, _, _)| p.id).collect();
    assert_eq!(ids, [15, 20, 30]);
    assert!(page[0].2.is_none());
    assert_eq!(page[1].2.as_ref().unwrap().post.id, 20);
    assert_eq!(page[1].1.as_ref().unwrap().id, super::AUTHOR_ID);
    assert_eq!(t.store.posts_after(50, 3).await.unwrap().len(), 0);
    assert_eq!(t.store.posts_after(u64::MAX, 3).await.unwrap().len(), 0);
}

#[apply(engines)]
#[tokio::test]
async fn a_page_time_that_is_not_rfc3339_is_refused(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let c = batch_at("m", vec![matched(post(1, "a"), &["Croydon"])], "yesterday");
    assert!(matches!(
        t.store.record_pages(&c).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(t.store.post_count().await.unwrap(), 0);
}

#[apply(engines)]
#[tokio::test]
async fn pages_of_an_unfinished_cycle_keep_since_id_and_record_where_to_resume(
    #[case] engine: Engine,
) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    t.store
        .record_pages(&batch("m", vec![matched(post(10, "old"), &["Croydon"])]))
        .await
        .unwrap();
    // A cycle's first two pages: newest first, since_id untouched.
    let mut first = batch("m", vec![matched(post(60, "a"), &["Croydon"])]);
    first.cursor = CursorMove::Pending {
        newest_id: Some(60),
        until_id: Some(50),
    };
    let mut second = batch("m", vec![matched(post(40, "b"), &["Croydon"])]);
    second.cursor = CursorMove::Pending {
        newest_id: None,
        until_id: Some(30),
    };
    for page in [&first, &second] {
        t.store.record_pages(page).await.unwrap();
    }
    let c = t.store.cursor("m").await.unwrap().unwrap();
    assert_eq!(c.since_id, Some(10));
    assert_eq!(
        c.pending,
        Some(Pending {
            newest_id: Some(60),
            until_id: 30
        })
    );
    // The same page stored again (re-read after a crash) adds no item.
    assert!(
        t.store
            .record_pages(&second)
            .await
            .unwrap()
            .new_items
            .is_empty()
    );
    // The last page completes the cycle: since_id moves, pending clears.
    let mut last = batch("m", vec![matched(post(20, "c"), &["Croydon"])]);
    last.cursor = CursorMove::Complete { since_id: Some(60) };
    t.store.record_pages(&last).await.unwrap();
    let c = t.store.cursor("m").await.unwrap().unwrap();
    assert_eq!((c.since_id, c.pending), (Some(60), None));
    assert_eq!(t.all_items().await.len(), 4);
}

#[apply(engines)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desk_writes_go_between_the_transactions_of_a_backfill(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let first = t
        .store
        .record_pages(&batch(
            "m0",
            vec![matched(post(1, "Croydon"), &["Croydon"])],
        ))
        .await
        .unwrap();
    let item = first.new_items[0];
    // Three monitors backfilling at once keep the one write connection's
    // queue full for the whole test: transaction after transaction of 800
    // posts. A note joins the queue and waits only for those ahead of it:
    // counted in page transactions committed meanwhile, not in time.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let committed = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut backfills = Vec::new();
    for m in 0..3u64 {
        let (store, stop, committed) = (t.store.clone(), stop.clone(), committed.clone());
        backfills.push(tokio::spawn(async move {
            let mut id = 1_000_000 * (m + 1);
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let posts = (0..800)
                    .map(|i| {
                        matched(
                            post(id + i, "Litter all down Cherry Orchard Road, Croydon"),
                            &["Croydon"],
                        )
                    })
                    .collect();
                store
                    .record_pages(&batch(&format!("m{}", m + 1), posts))
                    .await
                    .unwrap();
                committed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                id += 800;
            }
        }));
    }
    // Wait until the backfills are under way (each has committed a page).
    while committed.load(std::sync::atomic::Ordering::SeqCst) < 3 {
        tokio::task::yield_now().await;
    }
    let mut most_ahead = 0;
    for n in 0..10 {
        let before = committed.load(std::sync::atomic::Ordering::SeqCst);
        t.store
            .add_note(item, "sam", &format!("note {n} while the backfill runs"))
            .await
            .expect("a desk write is not starved by the backfills");
        let ahead = committed.load(std::sync::atomic::Ordering::SeqCst) - before;
        most_ahead = most_ahead.max(ahead);
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for b in backfills {
        b.await.unwrap();
    }
    assert_eq!(t.store.notes(item).await.unwrap().len(), 10);
    // The write pool serves in order: a note waits for the pages ahead of
    // it, at most one per backfill (each has one in flight), never for the
    // backfills to finish. A backfill counts its page after it commits, so
    // up to three pages committed before the note asked may be counted in
    // its window too: six at most.
    assert!(
        most_ahead <= 6,
        "a note waited for {most_ahead} page transactions of the backfills"
    );
}
