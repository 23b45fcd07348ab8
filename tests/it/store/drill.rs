//! The inbox's drill-down filters: the days a post was made (UK calendar
//! days, both ends included, across the end of British Summer Time) and its
//! language, alone and with every other kind of filter, on every page and
//! in the per-status counts.

use placewatch::domain::outbox::TWEPOCH_MS;
use placewatch::domain::triage::{Action, Decision, Priority, Status};
use placewatch::store::{ItemFilter, check_filter};
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

use super::{TestStore, batch, matched, post};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

/// X's id for the `seq`th post made at `at`: a snowflake.
fn snowflake(at: OffsetDateTime, seq: u64) -> u64 {
    let ms = (at.unix_timestamp_nanos() / 1_000_000) as i64 - TWEPOCH_MS;
    ((ms as u64) << 22) + seq
}

/// The posts, each with when it was made (UTC), its UK day, place and
/// language.
struct Made {
    at: OffsetDateTime,
    uk_day: Date,
    place: &'static str,
    lang: &'static str,
}

fn made() -> Vec<Made> {
    let m = |at, uk_day, place, lang| Made {
        at,
        uk_day,
        place,
        lang,
    };
    vec![
        // 23:30 BST on Saturday 24 October.
        m(
            datetime!(2026-10-24 22:30 UTC),
            date!(2026 - 10 - 24),
            "Croydon",
            "en",
        ),
        // 00:30 BST on Sunday 25 October, the night the clocks go back.
        m(
            datetime!(2026-10-24 23:30 UTC),
            date!(2026 - 10 - 25),
            "Purley",
            "en",
        ),
        // 23:59 GMT on 25 October.
        m(
            datetime!(2026-10-25 23:59 UTC),
            date!(2026 - 10 - 25),
            "Croydon",
            "cy",
        ),
        m(
            datetime!(2026-10-31 23:59:59 UTC),
            date!(2026 - 10 - 31),
            "Croydon",
            "en",
        ),
        m(
            datetime!(2026-11-01 00:00 UTC),
            date!(2026 - 11 - 01),
            "Croydon",
            "pl",
        ),
        m(
            datetime!(2026-11-14 12:00 UTC),
            date!(2026 - 11 - 14),
            "Purley",
            "cy",
        ),
        m(
            datetime!(2026-11-30 23:59:59.999 UTC),
            date!(2026 - 11 - 30),
            "Croydon",
            "en",
        ),
        m(
            datetime!(2026-12-01 00:00 UTC),
            date!(2026 - 12 - 01),
            "Purley",
            "en",
        ),
    ]
}

/// Stores the posts of [`made`] as items: each mentions "bins", the third
/// is tagged and urgent, the fifth dismissed. Returns their item ids.
async fn store_made(t: &TestStore) -> Vec<i64> {
    let tagged: Vec<_> = made()
        .iter()
        .enumerate()
        .map(|(n, m)| {
            let mut p = post(
                snowflake(m.at, n as u64),
                &format!("bins again in {}", m.place),
            );
            p.created_at = Some(
                m.at.format(&time::format_description::well_known::Rfc3339)
                    .unwrap(),
            );
            p.lang = Some(m.lang.to_owned());
            let mut tp = matched(p, &[m.place]);
            if n == 2 {
                tp.decision = Decision {
                    tags: vec!["bins".into()],
                    priority: Priority::Urgent,
                    ..Decision::default()
                };
            }
            tp
        })
        .collect();
    let ids = t
        .store
        .record_pages(&batch("m", tagged))
        .await
        .unwrap()
        .new_items;
    t.store
        .transition(ids[4], Action::Dismiss, "priya")
        .await
        .unwrap();
    ids
}

/// The post indexes (into [`made`]) a filter lists over all its pages,
/// read two at a time; and checks the counts agree with what was listed.
async fn listed(t: &TestStore, filter: ItemFilter) -> Vec<usize> {
    let all = made();
    let mut found = Vec::new();
    let mut page = ItemFilter {
        limit: 2,
        ..filter.clone()
    };
    loop {
        let p = t.store.list_items(&page).await.unwrap();
        for item in &p.items {
            let n = all
                .iter()
                .enumerate()
                .position(|(n, m)| snowflake(m.at, n as u64) == item.post.id)
                .expect("a stored post");
            found.push(n);
        }
        let counted: u64 = p
            .counts
            .iter()
            .filter(|(s, _)| match filter.status {
                Some(want) => *s == want,
                None => !filter.open || s.is_open(),
            })
            .map(|(_, n)| n)
            .sum();
        assert_eq!(
            counted,
            t.store.count_matching(&filter).await.unwrap(),
            "{filter:?}"
        );
        match p.next_before {
            Some(before) => page.before = Some(before),
            None => break,
        }
    }
    let counted = t.store.count_matching(&filter).await.unwrap();
    assert_eq!(counted, found.len() as u64, "counts of {filter:?}");
    found
}

fn days(from: Date, to: Date) -> ItemFilter {
    ItemFilter {
        from: Some(from),
        to: Some(to),
        ..ItemFilter::default()
    }
}

#[apply(engines)]
#[tokio::test]
async fn a_range_of_uk_days_lists_the_posts_made_on_them_newest_first(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    store_made(&t).await;
    let november = days(date!(2026 - 11 - 01), date!(2026 - 11 - 30));
    assert_eq!(listed(&t, november.clone()).await, vec![6, 5, 4]);
    // The Sunday the clocks go back: from 00:00 BST (23:00 UTC the day
    // before) to midnight GMT.
    let sunday = date!(2026 - 10 - 25);
    assert_eq!(listed(&t, days(sunday, sunday)).await, vec![2, 1]);
    let saturday = date!(2026 - 10 - 24);
    assert_eq!(listed(&t, days(saturday, saturday)).await, vec![0]);
    // Open-ended ranges.
    let from = ItemFilter {
        from: Some(date!(2026 - 11 - 30)),
        ..ItemFilter::default()
    };
    assert_eq!(listed(&t, from).await, vec![7, 6]);
    let to = ItemFilter {
        to: Some(date!(2026 - 10 - 25)),
        ..ItemFilter::default()
    };
    assert_eq!(listed(&t, to).await, vec![2, 1, 0]);
    // Every post falls in the day the table says, oldest first too.
    for (n, m) in made().iter().enumerate() {
        let one = ItemFilter {
            sort: placewatch::store::Sort::OldestWaiting,
            ..days(m.uk_day, m.uk_day)
        };
        assert!(listed(&t, one).await.contains(&n), "post {n}");
    }
    // A day with no posts, and a range that ends before it starts.
    let empty = date!(2026 - 11 - 02);
    assert!(listed(&t, days(empty, empty)).await.is_empty());
    assert!(
        t.store
            .list_items(&days(date!(2026 - 11 - 02), date!(2026 - 11 - 01)))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[apply(engines)]
#[tokio::test]
async fn days_narrow_every_other_filter_and_their_status_counts(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let ids = store_made(&t).await;
    t.store
        .transition(ids[6], Action::Claim, "sam")
        .await
        .unwrap();
    let november = days(date!(2026 - 11 - 01), date!(2026 - 11 - 30));
    let with = |f: ItemFilter| ItemFilter {
        from: november.from,
        to: november.to,
        ..f
    };
    let place = |p: &str| ItemFilter {
        place: Some(p.into()),
        ..ItemFilter::default()
    };
    assert_eq!(listed(&t, with(place("Croydon"))).await, vec![6, 4]);
    assert_eq!(listed(&t, with(place("Purley"))).await, vec![5]);
    let owner = ItemFilter {
        owner: Some("sam".into()),
        ..ItemFilter::default()
    };
    assert_eq!(listed(&t, with(owner)).await, vec![6]);
    let words = ItemFilter {
        text: Some("bins".into()),
        ..ItemFilter::default()
    };
    assert_eq!(listed(&t, with(words.clone())).await, vec![6, 5, 4]);
    let words_and_place = ItemFilter {
        place: Some("Croydon".into()),
        ..words.clone()
    };
    assert_eq!(listed(&t, with(words_and_place)).await, vec![6, 4]);
    let dismissed = ItemFilter {
        status: Some(Status::Dismissed),
        ..ItemFilter::default()
    };
    assert_eq!(listed(&t, with(dismissed)).await, vec![4]);
    let open = ItemFilter {
        open: true,
        sort: placewatch::store::Sort::Priority,
        ..ItemFilter::default()
    };
    assert_eq!(listed(&t, with(open)).await, vec![5, 6]);
    // The per-status counts over the days.
    let page = t.store.list_items(&november).await.unwrap();
    let count = |s: Status| page.counts.iter().find(|(c, _)| *c == s).unwrap().1;
    assert_eq!(
        (
            count(Status::New),
            count(Status::InProgress),
            count(Status::Dismissed)
        ),
        (1, 1, 1)
    );
    // The tag of post 2 is outside November.
    let tag = ItemFilter {
        tag: Some("bins".into()),
        ..ItemFilter::default()
    };
    assert!(listed(&t, with(tag.clone())).await.is_empty());
    let october = ItemFilter {
        from: Some(date!(2026 - 10 - 01)),
        to: Some(date!(2026 - 10 - 31)),
        ..tag
    };
    assert_eq!(listed(&t, october).await, vec![2]);
}

#[apply(engines)]
#[tokio::test]
async fn a_language_narrows_alone_with_days_and_with_words(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    store_made(&t).await;
    let lang = |l: &str| ItemFilter {
        lang: Some(l.into()),
        ..ItemFilter::default()
    };
    assert_eq!(listed(&t, lang("cy")).await, vec![5, 2]);
    assert_eq!(listed(&t, lang("pl")).await, vec![4]);
    assert!(listed(&t, lang("fr")).await.is_empty());
    let welsh_in_november = ItemFilter {
        from: Some(date!(2026 - 11 - 01)),
        to: Some(date!(2026 - 11 - 30)),
        ..lang("cy")
    };
    assert_eq!(listed(&t, welsh_in_november).await, vec![5]);
    let welsh_bins = ItemFilter {
        text: Some("bins".into()),
        ..lang("cy")
    };
    assert_eq!(listed(&t, welsh_bins).await, vec![5, 2]);
    let welsh_in_purley = ItemFilter {
        place: Some("Purley".into()),
        ..lang("cy")
    };
    assert_eq!(listed(&t, welsh_in_purley).await, vec![5]);
    assert!(check_filter(&lang("cy")).is_ok());
}
