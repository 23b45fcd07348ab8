//! The inbox query: keyset pages, per-status counts, filters and full-text
//! search that folds accents and never chokes on what a user types.

use placewatch::domain::triage::{Action, Decision, Priority, ReplyPath, Status};
use placewatch::store::{ItemFilter, Store, StoreError};

use super::on_both::engines;
use super::{batch, matched, post};

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

#[tokio::test]
async fn pages_walk_newest_first_and_counts_ignore_status_and_page() {
    for t in engines().await {
        let engine = t.engine();
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
}

#[tokio::test]
async fn filters_narrow_the_list_and_its_counts() {
    for t in engines().await {
        let engine = t.engine();
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
}

#[tokio::test]
async fn full_text_search_folds_accents_and_case() {
    for t in engines().await {
        let engine = t.engine();
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
}

#[tokio::test]
async fn search_text_is_never_fts5_syntax() {
    for t in engines().await {
        let engine = t.engine();
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
}

#[tokio::test]
async fn search_finds_word_forms_prefixes_and_phrases() {
    for t in engines().await {
        let engine = t.engine();
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
}

/// Filter markers (hex) go through the stemmer too: values whose hex ends
/// in "e" ("Café®" is …C2AE, "ON" …4E) lose it in documents and queries
/// alike, and still name one value each.
#[tokio::test]
async fn filter_markers_survive_the_stemmer() {
    for t in engines().await {
        let engine = t.engine();
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
}

#[tokio::test]
async fn highlights_mark_what_the_search_matched() {
    for t in engines().await {
        let engine = t.engine();
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
        let words =
            |n: usize| -> Vec<&str> { marks[n].iter().map(|r| &texts[n][r.clone()]).collect() };
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
}
