//! The inbox's shortcuts stay exact: the trigger-kept counters and the
//! full-text index with its status markers always agree with the items.

use placewatch::domain::triage::{Action, Decision, Priority, ReplyPath, Status};
use placewatch::store::{Engine, ItemFilter, ItemPage, Store};
use sqlx::Row;

use rstest_reuse::apply;

use super::TestStore;
use super::{batch, matched, post};
use crate::engine::engines;

const PLACES: [&str; 3] = ["Croydon", "Purley", "Norbury"];
const TAGS: [&str; 2] = ["bins", "roads"];

/// Items with mixed places, tags, priorities and paths, then merges,
/// transitions and assignments on some of them.
pub(super) async fn busy_desk(store: &Store) {
    let mut posts_in = Vec::new();
    for n in 1..=30u64 {
        let places: Vec<&str> = PLACES.iter().copied().take(1 + (n % 3) as usize).collect();
        let mut m = matched(
            post(n, &format!("post {n} about bins and café {}", n % 4)),
            &places,
        );
        m.decision = Decision {
            tags: TAGS
                .iter()
                .take((n % 3) as usize)
                .map(|t| t.to_string())
                .collect(),
            priority: [Priority::Low, Priority::Normal, Priority::Urgent][(n % 3) as usize],
            dismissed: n % 7 == 0,
            ..Decision::default()
        };
        m.reply_path = if n % 5 == 0 {
            ReplyPath::Api
        } else {
            ReplyPath::Manual
        };
        posts_in.push(m);
    }
    let ids = store
        .record_pages(&batch("a", posts_in))
        .await
        .unwrap()
        .new_items;
    // Another monitor adds places and tags to some items.
    let merges = (1..=30u64)
        .step_by(4)
        .map(|n| {
            let mut m = matched(
                post(n, "ignored: the first copy stays"),
                &["Norbury", "Purley"],
            );
            m.decision.tags = vec!["roads".into()];
            m
        })
        .collect();
    store.record_pages(&batch("b", merges)).await.unwrap();
    for (k, id) in ids.iter().enumerate() {
        let actions: &[Action] = match k % 5 {
            0 => &[Action::Claim],
            1 => &[Action::Claim, Action::MarkReplied],
            2 => &[
                Action::Refer,
                Action::Reopen,
                Action::Claim,
                Action::Release,
            ],
            3 => &[],
            _ => &[Action::Dismiss],
        };
        for action in actions {
            let _ = store.transition(*id, *action, "priya").await;
        }
        if k % 3 == 0 {
            store
                .assign(*id, Some(["sam", "jo"][k % 2]), "priya")
                .await
                .unwrap();
        }
    }
}

/// The counts a plain GROUP BY over the items gives for `condition`.
async fn truth(t: &TestStore, condition: &str) -> Vec<(Status, u64)> {
    let mut raw = t.conn().await;
    let sql = format!("SELECT i.status, COUNT(*) FROM items i WHERE {condition} GROUP BY i.status");
    let rows = sqlx::query(&sql).fetch_all(&mut raw).await.unwrap();
    Status::ALL
        .iter()
        .map(|s| {
            let n = rows
                .iter()
                .find(|r| r.get::<String, _>(0) == s.as_str())
                .map_or(0, |r| r.get::<i64, _>(1) as u64);
            (*s, n)
        })
        .collect()
}

async fn counts(t: &TestStore, filter: ItemFilter) -> Vec<(Status, u64)> {
    let page: ItemPage = t.store.list_items(&filter).await.unwrap();
    page.counts
}

#[apply(engines)]
#[tokio::test]
async fn counters_agree_with_the_items_after_merges_transitions_and_assignments(
    #[case] engine: Engine,
) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    busy_desk(&t.store).await;
    assert_eq!(
        counts(&t, ItemFilter::default()).await,
        truth(&t, "1 = 1").await,
        "{engine}"
    );
    for place in PLACES {
        let f = ItemFilter {
            place: Some(place.into()),
            ..Default::default()
        };
        let cond = format!("i.id IN (SELECT item_id FROM item_places WHERE place = '{place}')");
        assert_eq!(
            counts(&t, f).await,
            truth(&t, &cond).await,
            "{engine}: {place}"
        );
    }
    for tag in TAGS {
        let f = ItemFilter {
            tag: Some(tag.into()),
            ..Default::default()
        };
        let cond = format!("i.id IN (SELECT item_id FROM item_tags WHERE tag = '{tag}')");
        assert_eq!(
            counts(&t, f).await,
            truth(&t, &cond).await,
            "{engine}: {tag}"
        );
    }
    for owner in ["sam", "jo", "priya"] {
        let f = ItemFilter {
            owner: Some(owner.into()),
            ..Default::default()
        };
        assert_eq!(
            counts(&t, f).await,
            truth(&t, &format!("i.owner = '{owner}'")).await,
            "{engine}"
        );
    }
    for p in Priority::ALL {
        let f = ItemFilter {
            priority: Some(p),
            ..Default::default()
        };
        assert_eq!(
            counts(&t, f).await,
            truth(&t, &format!("i.priority = '{}'", p.as_str())).await,
            "{engine}"
        );
    }
    let api = ItemFilter {
        reply_path: Some(ReplyPath::Api),
        ..Default::default()
    };
    assert_eq!(
        counts(&t, api).await,
        truth(&t, "i.reply_path = 'api'").await,
        "{engine}"
    );
    // Two filters at once take the counting query; it must agree too.
    let two = ItemFilter {
        place: Some("Purley".into()),
        tag: Some("roads".into()),
        ..Default::default()
    };
    let cond = "i.id IN (SELECT item_id FROM item_places WHERE place = 'Purley') \
                AND i.id IN (SELECT item_id FROM item_tags WHERE tag = 'roads')";
    assert_eq!(counts(&t, two).await, truth(&t, cond).await, "{engine}");
}

#[apply(engines)]
#[tokio::test]
async fn search_counts_and_pages_within_a_status_agree_with_the_items(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    busy_desk(&t.store).await;
    let cafe_3 = "i.post_id IN (SELECT id FROM posts WHERE text LIKE '%café 3')";
    let search = |status: Option<Status>| ItemFilter {
        text: Some("CAFE 3".into()),
        status,
        limit: 100,
        ..Default::default()
    };
    assert_eq!(
        counts(&t, search(None)).await,
        truth(&t, cafe_3).await,
        "{engine}"
    );
    for status in Status::ALL {
        let page = t.store.list_items(&search(Some(status))).await.unwrap();
        assert!(page.items.iter().all(|i| i.status == status), "{engine}");
        let expected = truth(&t, cafe_3)
            .await
            .into_iter()
            .find(|(s, _)| *s == status)
            .unwrap()
            .1;
        assert_eq!(page.items.len() as u64, expected, "{engine}: {status:?}");
    }
    let with_place = ItemFilter {
        place: Some("Purley".into()),
        ..search(None)
    };
    let cond =
        format!("{cafe_3} AND i.id IN (SELECT item_id FROM item_places WHERE place = 'Purley')");
    assert_eq!(
        counts(&t, with_place).await,
        truth(&t, &cond).await,
        "{engine}"
    );

    // Words with any other filter: the index's markers must agree with the
    // items (including places and tags added by merges, and owners by claims).
    let bins = "i.post_id IN (SELECT id FROM posts WHERE text LIKE '%bins%')";
    let cases: Vec<(ItemFilter, String)> = vec![
        (
            ItemFilter {
                place: Some("Norbury".into()),
                ..Default::default()
            },
            "i.id IN (SELECT item_id FROM item_places WHERE place = 'Norbury')".into(),
        ),
        (
            ItemFilter {
                tag: Some("roads".into()),
                ..Default::default()
            },
            "i.id IN (SELECT item_id FROM item_tags WHERE tag = 'roads')".into(),
        ),
        (
            ItemFilter {
                owner: Some("priya".into()),
                ..Default::default()
            },
            "i.owner = 'priya'".into(),
        ),
        (
            ItemFilter {
                owner: Some("sam".into()),
                ..Default::default()
            },
            "i.owner = 'sam'".into(),
        ),
        (
            ItemFilter {
                priority: Some(Priority::Urgent),
                ..Default::default()
            },
            "i.priority = 'urgent'".into(),
        ),
        (
            ItemFilter {
                reply_path: Some(ReplyPath::Api),
                tag: Some("bins".into()),
                ..Default::default()
            },
            "i.reply_path = 'api' AND i.id IN (SELECT item_id FROM item_tags WHERE tag = 'bins')"
                .into(),
        ),
    ];
    for (filter, cond) in cases {
        let filter = ItemFilter {
            text: Some("bins".into()),
            limit: 100,
            ..filter
        };
        let expected = truth(&t, &format!("{bins} AND {cond}")).await;
        let page = t.store.list_items(&filter).await.unwrap();
        assert_eq!(page.counts, expected, "{engine}: {cond}");
        let total: u64 = expected.iter().map(|(_, n)| n).sum();
        assert!(
            total > 0,
            "{engine}: {cond}: the case should match something"
        );
        assert_eq!(page.items.len() as u64, total, "{engine}: {cond}");
    }

    // Punctuation alone is no word: it matches nothing, in any status.
    for status in [None, Some(Status::New)] {
        let f = ItemFilter {
            text: Some("( )".into()),
            status,
            ..Default::default()
        };
        let page = t.store.list_items(&f).await.unwrap();
        assert!(page.items.is_empty(), "{engine}");
        assert!(page.counts.iter().all(|(_, n)| *n == 0), "{engine}");
    }

    // The full-text indexes are consistent with their content after all the changes
    // (SQLite's FTS5 tables; PostgreSQL keeps its documents in `items`).
    if engine == Engine::Postgres {
        return;
    }
    let mut raw = t.conn().await;
    for status in ["new", "in_progress", "replied", "referred", "dismissed"] {
        let table = format!("items_fts_{status}");
        let sql = format!("INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)");
        sqlx::query(&sql).execute(&mut raw).await.unwrap();
    }
}
