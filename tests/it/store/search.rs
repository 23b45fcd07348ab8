//! The inbox query: keyset pages, per-status counts, filters and full-text
//! search that folds accents and never chokes on what a user types.

use placewatch::domain::triage::{Action, Decision, Priority, ReplyPath, Status};
use placewatch::store::{ItemFilter, Store, StoreError};

use placewatch::store::Engine;
use rstest_reuse::apply;

use super::TestStore;
use super::{batch, matched, post};
use crate::engine::engines;

/// Seven items, posts 1..=7: odd posts in Croydon, even in Purley; post 3 is
/// tagged and urgent; post 4 answerable through the API; post 6 replies to 5.
async fn seven_items(store: &Store) -> Vec<i64> {
    let texts = [
        "Café on the high street is lovely",
        "Bins not collected in Purley",
        "Fly-tipping by the tram stop, Croydon",
        "@yourcroydon pothole on Brighton Road",
        "Naïve question: when is the Croydon market?",
        "Replying about the market in Purley",
        "CAFE CULTURE in croydon",
    ];
    let matched: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let id = i as u64 + 1;
            let mut p = post(id, text);
            if id == 6 {
                p.conversation_id = Some(5);
            }
            let mut m = matched(p, &[if id % 2 == 1 { "Croydon" } else { "Purley" }]);
            if id == 3 {
                m.decision = Decision {
                    tags: vec!["fly-tipping".into()],
                    priority: Priority::Urgent,
                    ..Decision::default()
                };
            }
            if id == 4 {
                m.reply_path = ReplyPath::Api;
            }
            m
        })
        .collect();
    store
        .record_pages(&batch("m", matched))
        .await
        .unwrap()
        .new_items
}

fn post_ids(page: &placewatch::store::ItemPage) -> Vec<u64> {
    page.items.iter().map(|i| i.post.id).collect()
}

/// The post ids a search finds, newest first.
async fn found(store: &Store, text: &str) -> Vec<u64> {
    let filter = ItemFilter {
        text: Some(text.to_owned()),
        ..ItemFilter::default()
    };
    post_ids(&store.list_items(&filter).await.unwrap())
}

#[apply(engines)]
#[tokio::test]
async fn pages_walk_newest_first_and_counts_ignore_status_and_page(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let ids = seven_items(&t.store).await;
    t.store
        .transition(ids[0], Action::Claim, "priya")
        .await
        .unwrap();
    t.store
        .transition(ids[1], Action::Dismiss, "priya")
        .await
        .unwrap();

    let mut filter = ItemFilter {
        limit: 3,
        ..ItemFilter::default()
    };
    let mut seen = Vec::new();
    loop {
        let page = t.store.list_items(&filter).await.unwrap();
        assert_eq!(
            page.counts,
            [
                (Status::New, 5),
                (Status::InProgress, 1),
                (Status::Replied, 0),
                (Status::Referred, 0),
                (Status::Dismissed, 1)
            ],
            "{engine}"
        );
        seen.extend(post_ids(&page));
        match page.next_before {
            Some(before) => filter.before = Some(before),
            None => break,
        }
    }
    assert_eq!(seen, [7, 6, 5, 4, 3, 2, 1], "{engine}");

    // A new item arriving between pages does not shift the next page.
    let first = t
        .store
        .list_items(&ItemFilter {
            limit: 3,
            ..ItemFilter::default()
        })
        .await
        .unwrap();
    t.store
        .record_pages(&batch("m", vec![matched(post(8, "new"), &["Croydon"])]))
        .await
        .unwrap();
    let next = ItemFilter {
        limit: 3,
        before: first.next_before,
        ..ItemFilter::default()
    };
    assert_eq!(
        post_ids(&t.store.list_items(&next).await.unwrap()),
        [4, 3, 2],
        "{engine}"
    );

    let status = ItemFilter {
        status: Some(Status::New),
        ..ItemFilter::default()
    };
    let page = t.store.list_items(&status).await.unwrap();
    assert_eq!(post_ids(&page), [8, 7, 6, 5, 4, 3], "{engine}");
    assert_eq!(
        page.counts[0],
        (Status::New, 6),
        "{engine}: counts ignore the status filter"
    );
    assert_eq!(page.counts[4], (Status::Dismissed, 1), "{engine}");

    let unknown = ItemFilter {
        before: Some(9_999),
        ..ItemFilter::default()
    };
    assert!(
        matches!(
            t.store.list_items(&unknown).await,
            Err(StoreError::NotFound { .. })
        ),
        "{engine}"
    );
}

#[apply(engines)]
#[tokio::test]
async fn filters_narrow_the_list_and_its_counts(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let ids = seven_items(&t.store).await;
    t.store.assign(ids[4], Some("sam"), "sam").await.unwrap();
    let list = |f: ItemFilter| {
        let store = t.store.clone();
        async move { store.list_items(&f).await.unwrap() }
    };

    let croydon = list(ItemFilter {
        place: Some("Croydon".into()),
        limit: 2,
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&croydon), [7, 5], "{engine}");
    assert_eq!(croydon.counts[0], (Status::New, 4), "{engine}");
    let more = ItemFilter {
        place: Some("Croydon".into()),
        limit: 2,
        before: croydon.next_before,
        ..Default::default()
    };
    assert_eq!(post_ids(&list(more).await), [3, 1], "{engine}");

    let tagged = list(ItemFilter {
        tag: Some("fly-tipping".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&tagged), [3], "{engine}");
    assert_eq!(tagged.items[0].tags, ["fly-tipping"], "{engine}");
    let urgent = list(ItemFilter {
        priority: Some(Priority::Urgent),
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&urgent), [3], "{engine}");
    let api = list(ItemFilter {
        reply_path: Some(ReplyPath::Api),
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&api), [4], "{engine}");
    let sams = list(ItemFilter {
        owner: Some("sam".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&sams), [5], "{engine}");
    let thread = list(ItemFilter {
        conversation_id: Some(5),
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&thread), [6, 5], "{engine}");
    let both = list(ItemFilter {
        place: Some("Purley".into()),
        text: Some("market".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&both), [6], "{engine}");
    let conv_text = list(ItemFilter {
        conversation_id: Some(5),
        text: Some("naive".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&conv_text), [5], "{engine}");
    let nothing = list(ItemFilter {
        place: Some("Purley".into()),
        tag: Some("fly-tipping".into()),
        ..Default::default()
    })
    .await;
    assert!(nothing.items.is_empty(), "{engine}");
    assert!(nothing.counts.iter().all(|(_, n)| *n == 0), "{engine}");
}

#[apply(engines)]
#[tokio::test]
async fn full_text_search_folds_accents_and_case(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    seven_items(&t.store).await;
    assert_eq!(
        found(&t.store, "cafe").await,
        [7, 1],
        "{engine}: cafe finds Café and CAFE"
    );
    assert_eq!(found(&t.store, "CAFÉ").await, [7, 1], "{engine}");
    assert_eq!(found(&t.store, "naive").await, [5], "{engine}");
    assert_eq!(
        found(&t.store, "croydon market").await,
        [5],
        "{engine}: every word must match"
    );
    assert_eq!(found(&t.store, "fly-tipping").await, [3], "{engine}");
    assert_eq!(
        found(&t.store, "  ").await.len(),
        7,
        "{engine}: blank text is no filter"
    );
    let page = t
        .store
        .list_items(&ItemFilter {
            text: Some("croydon".into()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(post_ids(&page), [7], "{engine}");
    assert_eq!(
        page.counts[0],
        (Status::New, 3),
        "{engine}: @yourcroydon is another word"
    );
    let next = ItemFilter {
        text: Some("croydon".into()),
        limit: 10,
        before: page.next_before,
        ..Default::default()
    };
    assert_eq!(
        post_ids(&t.store.list_items(&next).await.unwrap()),
        [5, 3],
        "{engine}"
    );
}

#[apply(engines)]
#[tokio::test]
async fn search_text_is_never_fts5_syntax(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    seven_items(&t.store).await;
    let hostile = [
        "\"unbalanced",
        "AND OR NOT (",
        "NEAR(cafe, 2)",
        "text:cafe",
        "caf*",
        "^cafe",
        "-cafe",
        "\"\"",
        "'",
        ")",
        "{text}",
        "a\0b",
        "\u{202E}\u{200B}",
        "Café\" OR \"1",
    ];
    for text in hostile {
        let filter = ItemFilter {
            text: Some(text.into()),
            ..ItemFilter::default()
        };
        let page = t.store.list_items(&filter).await;
        assert!(page.is_ok(), "{engine}: {text:?}: {page:?}");
    }
    let or = ItemFilter {
        text: Some("cafe OR bins".into()),
        ..ItemFilter::default()
    };
    assert!(
        t.store.list_items(&or).await.unwrap().items.is_empty(),
        "{engine}: OR is a word, not an operator"
    );
}

#[apply(engines)]
#[tokio::test]
async fn search_finds_word_forms_prefixes_and_phrases(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let texts = [
        "Potholes all down Cherry Orchard Road",
        "Reported a pothole near the orchard on Cherry Lane",
        "Bins were not collected, reporting it again",
        "The road by the cherry orchard is flooded",
    ];
    let matched: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| matched(post(i as u64 + 1, text), &["Croydon"]))
        .collect();
    t.store.record_pages(&batch("m", matched)).await.unwrap();
    assert_eq!(
        found(&t.store, "pothole").await,
        [2, 1],
        "{engine}: pothole finds potholes"
    );
    assert_eq!(found(&t.store, "potholes").await, [2, 1], "{engine}");
    assert_eq!(
        found(&t.store, "report").await,
        [3, 2],
        "{engine}: reported, reporting"
    );
    assert_eq!(found(&t.store, "collect").await, [3], "{engine}");
    assert_eq!(found(&t.store, "poth*").await, [2, 1], "{engine}");
    assert_eq!(found(&t.store, "orch*").await, [4, 2, 1], "{engine}");
    assert_eq!(
        found(&t.store, "\"cherry orchard\"").await,
        [4, 1],
        "{engine}: words next to each other"
    );
    assert_eq!(
        found(&t.store, "cherry orchard").await,
        [4, 2, 1],
        "{engine}: words anywhere"
    );
    assert_eq!(
        found(&t.store, "\"orchard cherry\"").await,
        Vec::<u64>::new(),
        "{engine}"
    );
    assert_eq!(
        found(&t.store, "\"cherry orchard road\" potholes").await,
        [1],
        "{engine}"
    );
}

#[apply(engines)]
/// Filter markers (hex) go through the stemmer too: values whose hex ends
/// in "e" ("Café®" is …C2AE, "ON" …4E) lose it in documents and queries
/// alike, and still name one value each.
#[tokio::test]
async fn filter_markers_survive_the_stemmer(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let names = ["Café®", "Café", "ON", "Thornton Heath", "Reed", "®"];
    let matched: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, place)| matched(post(i as u64 + 1, "bins again"), &[place]))
        .collect();
    t.store.record_pages(&batch("m", matched)).await.unwrap();
    for (i, place) in names.iter().enumerate() {
        let filter = ItemFilter {
            text: Some("bin".into()),
            place: Some((*place).to_owned()),
            ..ItemFilter::default()
        };
        let page = t.store.list_items(&filter).await.unwrap();
        assert_eq!(post_ids(&page), [i as u64 + 1], "{engine}: {place:?}");
    }
}

#[apply(engines)]
#[tokio::test]
async fn highlights_mark_what_the_search_matched(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let texts = [
        "Potholes on Cherry Orchard Road, another pothole",
        "<script>alert(1)</script> \u{E000} pothole \u{E001}\u{202E}",
        "nothing to see",
    ];
    let marks = t
        .store
        .highlights("pothole \"cherry orchard\"", &texts)
        .await
        .unwrap();
    let words = |n: usize| -> Vec<&str> { marks[n].iter().map(|r| &texts[n][r.clone()]).collect() };
    assert_eq!(
        words(0),
        ["Potholes", "Cherry Orchard", "pothole"],
        "{engine}"
    );
    // The second text does not match the phrase, so nothing is marked.
    assert!(marks[1].is_empty(), "{engine}");
    assert!(marks[2].is_empty(), "{engine}");
    let marks = t.store.highlights("poth*", &texts).await.unwrap();
    assert_eq!(marks[0].len(), 2, "{engine}");
    let hostile: Vec<&str> = marks[1].iter().map(|r| &texts[1][r.clone()]).collect();
    assert_eq!(
        hostile,
        ["pothole"],
        "{engine}: private-use characters around it are kept out"
    );
    assert!(
        t.store
            .highlights("  ", &texts)
            .await
            .unwrap()
            .iter()
            .all(Vec::is_empty),
        "{engine}"
    );
}

/// The day (November 2026, UTC noon = UK noon) of item `n` of
/// [`varied_desk`]: items 1..=40 spread over days 1..=20.
fn day_of(n: u64) -> u8 {
    1 + ((n - 1) / 2) as u8
}

/// Forty items, each filter's values spread over them: places, tags,
/// priorities, reply paths, languages, a conversation, days, owners, teams
/// and statuses; texts with "alpha" (every third), "café" (every fourth).
/// Returns the teams' ids (Streets, CleanCo).
async fn varied_desk(t: &TestStore) -> (i64, i64) {
    use placewatch::domain::outbox::snowflake_floor;
    use placewatch::domain::triage::{Assignee, ItemChange};
    use sqlx::Row;
    let store = &t.store;
    // The teams straight into the table (the teams' own verbs are not this
    // test's subject).
    let mut raw = t.conn().await;
    let mut team = async |name: &str| -> i64 {
        sqlx::query(
            "INSERT INTO teams (name, emails, created_at, updated_at) \
             VALUES ($1, '[]', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z') RETURNING id",
        )
        .bind(name)
        .fetch_one(&mut raw)
        .await
        .unwrap()
        .get::<i64, _>("id")
    };
    let streets = team("Streets").await;
    let cleanco = team("CleanCo").await;
    let post_id = |n: u64| {
        let noon = time::macros::datetime!(2026-11-01 12:00 UTC)
            + time::Duration::days(i64::from(day_of(n)) - 1);
        snowflake_floor((noon.unix_timestamp_nanos() / 1_000_000) as i64) + n
    };
    let mut tagged = Vec::new();
    for n in 1..=40u64 {
        let mut text = if n.is_multiple_of(3) {
            format!("alpha bins {n}")
        } else {
            format!("beta roads {n}")
        };
        if n.is_multiple_of(4) {
            text.push_str(" café");
        }
        let mut p = post(post_id(n), &text);
        if (11..=14).contains(&n) {
            p.conversation_id = Some(post_id(10));
        }
        if n.is_multiple_of(6) {
            p.lang = Some("cy".into());
        }
        let places: &[&str] = match n % 3 {
            0 => &["Croydon"],
            1 => &["Purley", "Croydon"],
            _ => &["Thornton Heath"],
        };
        let mut m = matched(p, places);
        m.decision = Decision {
            tags: if n % 4 == 1 {
                vec!["bins".into()]
            } else {
                vec![]
            },
            priority: [
                Priority::Low,
                Priority::Normal,
                Priority::High,
                Priority::Urgent,
            ][(n % 4) as usize],
            ..Decision::default()
        };
        if n.is_multiple_of(5) {
            m.reply_path = ReplyPath::Api;
        }
        tagged.push(m);
    }
    let ids = store
        .record_pages(&batch("m", tagged))
        .await
        .unwrap()
        .new_items;
    for (k, id) in ids.iter().enumerate() {
        let n = k as u64 + 1;
        if n % 5 == 1 {
            store.transition(*id, Action::Claim, "priya").await.unwrap();
        }
        if n.is_multiple_of(7) {
            store
                .transition(*id, Action::Dismiss, "priya")
                .await
                .unwrap();
        }
        if n % 8 == 2 {
            store.assign(*id, Some("sam"), "sam").await.unwrap();
        }
        let to_team = match (n % 6, n % 9) {
            (3, _) => Some(streets),
            (_, 4) => Some(cleanco),
            _ => None,
        };
        if let Some(team) = to_team {
            let change = ItemChange::Assign(Assignee::Team {
                id: team,
                members: vec![],
            });
            store
                .apply_change(&[*id], &change, "sam", None)
                .await
                .unwrap();
        }
    }
    (streets, cleanco)
}

#[apply(engines)]
/// Every filter, status and order of the inbox, paged a few items at a
/// time, lists and counts exactly the items the filter describes, in its
/// order, on both engines: the engines' plans differ (SQLite's drivers and
/// FTS5 indexes, PostgreSQL's planner), the answers may not.
#[tokio::test]
async fn every_filter_and_order_pages_and_counts_what_the_items_say(#[case] engine: Engine) {
    use placewatch::domain::triage::Status;
    use placewatch::store::{ItemRow, Sort};
    use time::macros::date;
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let store = &t.store;
    let (streets, cleanco) = varied_desk(&t).await;
    let all = store
        .list_items(&ItemFilter {
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    assert_eq!(all.len(), 40, "{engine}");
    let has_word = |item: &ItemRow, word: &str| {
        item.post
            .text
            .split_whitespace()
            .any(|w| w.to_lowercase() == word)
    };
    // Each shape: the filter, and what it says of an item (status aside).
    type Says = Box<dyn Fn(&ItemRow) -> bool>;
    let nov = |d: u8| date!(2026 - 11 - 01).replace_day(d).unwrap();
    let in_days = move |item: &ItemRow, from: u8, to: u8| {
        let day = (item.post.id >> 22) as i64 + 1_288_834_974_657;
        let day = time::OffsetDateTime::from_unix_timestamp(day / 1000)
            .unwrap()
            .day();
        (from..=to).contains(&day)
    };
    let shapes: Vec<(ItemFilter, Says)> = vec![
        (ItemFilter::default(), Box::new(|_| true)),
        (
            ItemFilter {
                place: Some("Croydon".into()),
                ..Default::default()
            },
            Box::new(|i| i.places.iter().any(|p| p == "Croydon")),
        ),
        (
            ItemFilter {
                place: Some("Thornton Heath".into()),
                ..Default::default()
            },
            Box::new(|i| i.places.iter().any(|p| p == "Thornton Heath")),
        ),
        (
            ItemFilter {
                tag: Some("bins".into()),
                ..Default::default()
            },
            Box::new(|i| i.tags.iter().any(|p| p == "bins")),
        ),
        (
            ItemFilter {
                owner: Some("sam".into()),
                ..Default::default()
            },
            Box::new(|i| i.owner.as_deref() == Some("sam")),
        ),
        (
            ItemFilter {
                owner: Some("priya".into()),
                ..Default::default()
            },
            Box::new(|i| i.owner.as_deref() == Some("priya")),
        ),
        (
            ItemFilter {
                teams: Some(vec![streets]),
                ..Default::default()
            },
            Box::new(move |i| i.team_id == Some(streets)),
        ),
        (
            ItemFilter {
                teams: Some(vec![streets, cleanco]),
                ..Default::default()
            },
            Box::new(move |i| i.team_id.is_some()),
        ),
        (
            ItemFilter {
                teams: Some(vec![]),
                ..Default::default()
            },
            Box::new(|_| false),
        ),
        (
            ItemFilter {
                priority: Some(Priority::Urgent),
                ..Default::default()
            },
            Box::new(|i| i.priority == Priority::Urgent),
        ),
        (
            ItemFilter {
                priority: Some(Priority::Low),
                tag: Some("bins".into()),
                ..Default::default()
            },
            Box::new(|i| i.priority == Priority::Low && i.tags.iter().any(|p| p == "bins")),
        ),
        (
            ItemFilter {
                reply_path: Some(ReplyPath::Api),
                ..Default::default()
            },
            Box::new(|i| i.reply_path == ReplyPath::Api),
        ),
        (
            ItemFilter {
                text: Some("alpha".into()),
                ..Default::default()
            },
            Box::new(move |i| has_word(i, "alpha")),
        ),
        (
            ItemFilter {
                text: Some("CAFE".into()),
                ..Default::default()
            },
            Box::new(move |i| has_word(i, "café")),
        ),
        (
            ItemFilter {
                text: Some("zzzz".into()),
                ..Default::default()
            },
            Box::new(|_| false),
        ),
        (
            ItemFilter {
                text: Some("alpha".into()),
                place: Some("Purley".into()),
                ..Default::default()
            },
            Box::new(move |i| has_word(i, "alpha") && i.places.iter().any(|p| p == "Purley")),
        ),
        (
            ItemFilter {
                place: Some("Croydon".into()),
                owner: Some("sam".into()),
                ..Default::default()
            },
            Box::new(|i| {
                i.places.iter().any(|p| p == "Croydon") && i.owner.as_deref() == Some("sam")
            }),
        ),
        (
            ItemFilter {
                conversation_id: Some(all.iter().find(|i| i.post.id % 4096 == 10).unwrap().post.id),
                ..Default::default()
            },
            Box::new(|i| (10..=14).contains(&(i.post.id % 4096))),
        ),
        (
            ItemFilter {
                conversation_id: Some(all.iter().find(|i| i.post.id % 4096 == 10).unwrap().post.id),
                text: Some("alpha".into()),
                ..Default::default()
            },
            Box::new(move |i| (10..=14).contains(&(i.post.id % 4096)) && has_word(i, "alpha")),
        ),
        (
            ItemFilter {
                from: Some(nov(5)),
                to: Some(nov(12)),
                ..Default::default()
            },
            Box::new(move |i| in_days(i, 5, 12)),
        ),
        (
            ItemFilter {
                from: Some(nov(8)),
                place: Some("Croydon".into()),
                ..Default::default()
            },
            Box::new(move |i| in_days(i, 8, 31) && i.places.iter().any(|p| p == "Croydon")),
        ),
        (
            ItemFilter {
                to: Some(nov(15)),
                text: Some("alpha".into()),
                lang: Some("cy".into()),
                ..Default::default()
            },
            Box::new(move |i| {
                in_days(i, 1, 15) && has_word(i, "alpha") && i.post.lang.as_deref() == Some("cy")
            }),
        ),
        (
            ItemFilter {
                lang: Some("cy".into()),
                ..Default::default()
            },
            Box::new(|i| i.post.lang.as_deref() == Some("cy")),
        ),
    ];
    let rank = |p: Priority| match p {
        Priority::Urgent => 0,
        Priority::High => 1,
        Priority::Normal => 2,
        Priority::Low => 3,
    };
    for (shape, says) in &shapes {
        let mut expected_counts: Vec<(Status, u64)> = Status::ALL.iter().map(|s| (*s, 0)).collect();
        for item in all.iter().filter(|i| says(i)) {
            let slot = expected_counts.iter_mut().find(|(s, _)| *s == item.status);
            slot.unwrap().1 += 1;
        }
        for (status, open) in [(None, false), (Some(Status::New), false), (None, true)] {
            for sort in Sort::ALL {
                let filter = ItemFilter {
                    status,
                    open,
                    sort,
                    limit: 7,
                    ..shape.clone()
                };
                let mut expected: Vec<&ItemRow> = all
                    .iter()
                    .filter(|i| says(i))
                    .filter(|i| match status {
                        Some(s) => i.status == s,
                        None => !open || i.status.is_open(),
                    })
                    .collect();
                expected.sort_by_key(|i| i.post.id);
                match (sort, shape.priority) {
                    (Sort::Newest, _) => expected.reverse(),
                    (Sort::Priority, None) => {
                        expected.sort_by_key(|i| (rank(i.priority), i.post.id))
                    }
                    _ => {}
                }
                let expected: Vec<i64> = expected.iter().map(|i| i.id).collect();
                let mut seen = Vec::new();
                let mut page_filter = filter.clone();
                loop {
                    let page = store.list_items(&page_filter).await.unwrap();
                    assert_eq!(page.counts, expected_counts, "{engine} {filter:?}");
                    seen.extend(page.items.iter().map(|i| i.id));
                    match page.next_before {
                        Some(before) => page_filter.before = Some(before),
                        None => break,
                    }
                    assert!(seen.len() <= 40, "{engine} {filter:?} pages forever");
                }
                assert_eq!(seen, expected, "{engine} {filter:?}");
                let counted = store.count_matching(&filter).await.unwrap();
                assert_eq!(counted, expected.len() as u64, "{engine} {filter:?}");
                let ids = store.matching_ids(&filter, 500).await.unwrap();
                assert_eq!(ids, expected, "{engine} {filter:?}");
                let (first, _) = store.items_page(&filter).await.unwrap();
                let first: Vec<i64> = first.iter().map(|i| i.id).collect();
                assert_eq!(
                    first,
                    expected[..expected.len().min(7)],
                    "{engine} {filter:?}"
                );
            }
        }
    }
}

#[apply(engines)]
/// Where the engines' text search could part ways (FTS5's porter stemmer
/// and unicode61 folding against PostgreSQL's Snowball English and
/// unaccent): accents, word forms, phrases, prefixes, non-ASCII place
/// markers, searches that match nothing, and text that is tsquery or FTS5
/// syntax, which must stay words.
#[tokio::test]
async fn both_engines_search_alike_and_hostile_text_stays_words(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let texts: [(&str, &str); 6] = [
        ("Café Nero flooded again", "Croydon"),
        ("The flooding on Ærø Road is back", "Ærø"),
        ("Two cafes closing on the high street", "Croydon"),
        ("Potholes reported near the café's door", "Thornton Heath"),
        (
            "Bins: it's \"urgent\" \\ say 'no' & | ! :* <-> ()",
            "Croydon",
        ),
        ("Road works 🚧 at Zoë's corner", "Zoë's Corner ☕"),
    ];
    let tagged = texts
        .iter()
        .enumerate()
        .map(|(i, (text, place))| matched(post(i as u64 + 1, text), &[place]))
        .collect();
    t.store.record_pages(&batch("m", tagged)).await.unwrap();
    let s = &t.store;
    assert_eq!(
        found(s, "cafe").await,
        [4, 3, 1],
        "{engine}: accents, plurals"
    );
    assert_eq!(found(s, "CAFÉS").await, [4, 3, 1], "{engine}");
    assert_eq!(
        found(s, "flooding").await,
        [2, 1],
        "{engine}: flooded, flooding"
    );
    assert_eq!(found(s, "floods").await, [2, 1], "{engine}");
    assert_eq!(found(s, "pothole").await, [4], "{engine}");
    assert_eq!(found(s, "report").await, [4], "{engine}");
    assert_eq!(found(s, "ærø").await, [2], "{engine}");
    assert_eq!(found(s, "zoe").await, [6], "{engine}");
    assert_eq!(found(s, "flood*").await, [2, 1], "{engine}: prefix");
    assert_eq!(found(s, "clos*").await, [3], "{engine}");
    assert_eq!(found(s, "\"high street\"").await, [3], "{engine}: phrase");
    assert_eq!(
        found(s, "\"street high\"").await,
        Vec::<u64>::new(),
        "{engine}"
    );
    assert_eq!(found(s, "\"flooding on\" road").await, [2], "{engine}");
    assert_eq!(
        found(s, "tramway").await,
        Vec::<u64>::new(),
        "{engine}: nothing"
    );
    assert_eq!(found(s, "zzzz*").await, Vec::<u64>::new(), "{engine}");
    // Query syntax of either engine is text: operators and quotes
    // without a letter are no terms, and words keep their letters.
    let hostile: [(&str, &[u64]); 16] = [
        ("'); DROP TABLE items; --", &[]),
        ("&|!:*<>()", &[]),
        ("cafe & | ! :* <-> ()", &[4, 3, 1]),
        ("!cafe", &[4, 3, 1]),
        ("cafe:*", &[4, 3, 1]),
        ("cafe:A", &[]),
        ("'cafe'", &[4, 3, 1]),
        ("\\cafe\\", &[4, 3, 1]),
        ("cafe' | 'bins", &[]),
        ("\"urgent\" bins", &[5]),
        ("🚧 road", &[6, 2]),
        ("\u{200B}cafe\u{200B}", &[4, 3, 1]),
        ("\u{202E}cafe\u{202C}", &[4, 3, 1]),
        ("NEAR(cafe flooded)", &[]),
        ("caf\\'e* bins", &[]),
        ("💥", &[]),
    ];
    for (text, expected) in hostile {
        assert_eq!(found(s, text).await, expected, "{engine}: {text:?}");
    }
    // Non-ASCII place names as markers, alone and with words.
    for (place, expected) in [("Ærø", [2]), ("Zoë's Corner ☕", [6])] {
        for text in [None, Some("road")] {
            let filter = ItemFilter {
                place: Some(place.into()),
                text: text.map(str::to_owned),
                ..ItemFilter::default()
            };
            let page = s.list_items(&filter).await.unwrap();
            assert_eq!(post_ids(&page), expected, "{engine}: {filter:?}");
            assert_eq!(page.counts[0].1, 1, "{engine}: {filter:?}");
        }
    }
    // What the desk marks is what matched, on both engines.
    let shown: Vec<&str> = texts.iter().map(|(text, _)| *text).collect();
    let marks = s.highlights("cafe flood*", &shown).await.unwrap();
    let words = |n: usize| -> Vec<&str> { marks[n].iter().map(|r| &shown[n][r.clone()]).collect() };
    assert_eq!(words(0), ["Café", "flooded"], "{engine}");
    assert!(marks[1].is_empty(), "{engine}: no café, no mark");
    let marks = s.highlights("'); DROP &|! café's", &shown).await.unwrap();
    assert!(marks.iter().all(Vec::is_empty), "{engine}: {marks:?}");
}
