//! The inbox query: keyset pages, per-status counts, filters and full-text
//! search that folds accents and never chokes on what a user types.

use placewatch::domain::triage::{Action, Decision, Priority, ReplyPath, Status};
use placewatch::store::{ItemFilter, StoreError};

use super::{TestStore, batch, matched, post};

/// Seven items, posts 1..=7: odd posts in Croydon, even in Purley; post 3 is
/// tagged and urgent; post 4 answerable through the API; post 6 replies to 5.
async fn seven_items(t: &TestStore) -> Vec<i64> {
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
    t.store
        .record_pages(&batch("m", matched))
        .await
        .unwrap()
        .new_items
}

fn post_ids(page: &placewatch::store::ItemPage) -> Vec<u64> {
    page.items.iter().map(|i| i.post.id).collect()
}

#[tokio::test]
async fn pages_walk_newest_first_and_counts_ignore_status_and_page() {
    let t = TestStore::open().await;
    let ids = seven_items(&t).await;
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
            ]
        );
        seen.extend(post_ids(&page));
        match page.next_before {
            Some(before) => filter.before = Some(before),
            None => break,
        }
    }
    assert_eq!(seen, [7, 6, 5, 4, 3, 2, 1]);

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
        [4, 3, 2]
    );

    let status = ItemFilter {
        status: Some(Status::New),
        ..ItemFilter::default()
    };
    let page = t.store.list_items(&status).await.unwrap();
    assert_eq!(post_ids(&page), [8, 7, 6, 5, 4, 3]);
    assert_eq!(
        page.counts[0],
        (Status::New, 6),
        "counts ignore the status filter"
    );
    assert_eq!(page.counts[4], (Status::Dismissed, 1));

    let unknown = ItemFilter {
        before: Some(9_999),
        ..ItemFilter::default()
    };
    assert!(matches!(
        t.store.list_items(&unknown).await,
        Err(StoreError::NotFound { .. })
    ));
}

#[tokio::test]
async fn filters_narrow_the_list_and_its_counts() {
    let t = TestStore::open().await;
    let ids = seven_items(&t).await;
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
    assert_eq!(post_ids(&croydon), [7, 5]);
    assert_eq!(croydon.counts[0], (Status::New, 4));
    let more = ItemFilter {
        place: Some("Croydon".into()),
        limit: 2,
        before: croydon.next_before,
        ..Default::default()
    };
    assert_eq!(post_ids(&list(more).await), [3, 1]);

    let tagged = list(ItemFilter {
        tag: Some("fly-tipping".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&tagged), [3]);
    assert_eq!(tagged.items[0].tags, ["fly-tipping"]);
    let urgent = list(ItemFilter {
        priority: Some(Priority::Urgent),
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&urgent), [3]);
    let api = list(ItemFilter {
        reply_path: Some(ReplyPath::Api),
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&api), [4]);
    let sams = list(ItemFilter {
        owner: Some("sam".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&sams), [5]);
    let thread = list(ItemFilter {
        conversation_id: Some(5),
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&thread), [6, 5]);
    let both = list(ItemFilter {
        place: Some("Purley".into()),
        text: Some("market".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&both), [6]);
    let conv_text = list(ItemFilter {
        conversation_id: Some(5),
        text: Some("naive".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(post_ids(&conv_text), [5]);
    let nothing = list(ItemFilter {
        place: Some("Purley".into()),
        tag: Some("fly-tipping".into()),
        ..Default::default()
    })
    .await;
    assert!(nothing.items.is_empty());
    assert!(nothing.counts.iter().all(|(_, n)| *n == 0));
}

#[tokio::test]
async fn full_text_search_folds_accents_and_case() {
    let t = TestStore::open().await;
    seven_items(&t).await;
    let search = |text: &str| {
        let store = t.store.clone();
        let filter = ItemFilter {
            text: Some(text.to_owned()),
            ..ItemFilter::default()
        };
        async move { post_ids(&store.list_items(&filter).await.unwrap()) }
    };
    assert_eq!(search("cafe").await, [7, 1], "cafe finds Café and CAFE");
    assert_eq!(search("CAFÉ").await, [7, 1]);
    assert_eq!(search("naive").await, [5]);
    assert_eq!(search("croydon market").await, [5], "every word must match");
    assert_eq!(search("fly-tipping").await, [3]);
    assert_eq!(search("  ").await.len(), 7, "blank text is no filter");
    let page = t
        .store
        .list_items(&ItemFilter {
            text: Some("croydon".into()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(post_ids(&page), [7]);
    assert_eq!(
        page.counts[0],
        (Status::New, 3),
        "@yourcroydon is another word"
    );
    let next = ItemFilter {
        text: Some("croydon".into()),
        limit: 10,
        before: page.next_before,
        ..Default::default()
    };
    assert_eq!(post_ids(&t.store.list_items(&next).await.unwrap()), [5, 3]);
}

#[tokio::test]
async fn search_text_is_never_fts5_syntax() {
    let t = TestStore::open().await;
    seven_items(&t).await;
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
        assert!(page.is_ok(), "{text:?}: {page:?}");
    }
    let or = ItemFilter {
        text: Some("cafe OR bins".into()),
        ..ItemFilter::default()
    };
    assert!(
        t.store.list_items(&or).await.unwrap().items.is_empty(),
        "OR is a word, not an operator"
    );
}
