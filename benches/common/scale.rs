//! The scale data of the footprint and desk benchmarks: a store with
//! 1,000,000 posts and 200,000 triage items (each item's post plus four
//! context posts), written through `Store::record_pages` in batches of 1,000
//! items, the way `tests/it/store/perf.rs` seeds its scale test. Generated
//! once (under a minute on 2 cores) and cached in `<target dir>/bench-data/`;
//! later runs copy the cache. The cache's name carries a hash of
//! `migrations/`, so a schema change regenerates it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use placewatch::domain::ingest::{CursorMove, PageBatch, ReadKind, TaggedPost};
use placewatch::domain::post::{Author, Post};
use placewatch::domain::triage::{Decision, Flags, ReplyPath};
use placewatch::store::Store;
use serde_json::json;

pub const POSTS: u64 = 1_000_000;
pub const ITEMS: u64 = 200_000;
const CONTEXT_PER_ITEM: u64 = POSTS / ITEMS - 1;
const BATCH_ITEMS: u64 = 1_000;

/// `<target dir>/bench-data`: the binary cargo built lives in `<target dir>/release/`.
pub fn cache_dir() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_placewatch"));
    exe.parent()
        .and_then(Path::parent)
        .map(|target| target.join("bench-data"))
        .unwrap_or_else(|| PathBuf::from("target/bench-data"))
}

/// A small deterministic generator (xorshift64*), as in tests/it/store/perf.rs.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Roughly Zipf: index `i` of `n` with weight about 1/(i+1).
    pub fn zipf(&mut self, n: usize) -> usize {
        let x = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        (((n as f64 + 1.0).powf(x)) as usize - 1).min(n - 1)
    }
}

const COMMON: &[&str] = &[
    "the",
    "bins",
    "road",
    "litter",
    "council",
    "tram",
    "bus",
    "station",
    "park",
    "street",
    "missed",
    "again",
    "today",
    "pothole",
    "flytipping",
    "noise",
    "café",
    "market",
    "school",
    "library",
    "parking",
    "lights",
    "broken",
    "thanks",
    "lovely",
    "dump",
    "lost",
    "found",
];
pub const TAGS: &[&str] = &[
    "waste",
    "roads",
    "transport",
    "praise",
    "abuse",
    "parks",
    "noise",
];

/// A resident's post about `place`: Zipf-distributed common words and rarer `wN` ones.
pub fn text(rng: &mut Rng, place: &str) -> String {
    let mut words = vec![place.to_owned()];
    for _ in 0..(8 + rng.next() % 20) {
        let i = rng.zipf(3_000);
        words.push(match COMMON.get(i) {
            Some(w) => (*w).to_owned(),
            None => format!("w{i}"),
        });
    }
    words.join(" ")
}

/// A post as the poller stores it, with a raw JSON of X's usual size.
fn post(id: u64, author: u64, text: String, conversation: u64) -> Post {
    let created_at = "2025-06-14T09:00:00.000Z";
    let raw = json!({
        "id": id.to_string(),
        "text": text,
        "author_id": author.to_string(),
        "created_at": created_at,
        "conversation_id": conversation.to_string(),
        "lang": "en",
        "reply_settings": "everyone",
        "edit_history_tweet_ids": [id.to_string()],
    })
    .to_string();
    Post {
        id,
        text,
        author_id: Some(author),
        created_at: Some(created_at.into()),
        conversation_id: Some(conversation),
        in_reply_to_user_id: None,
        replied_to: None,
        quoted: None,
        is_retweet: false,
        lang: Some("en".into()),
        reply_settings: Some("everyone".into()),
        mentions: vec![],
        raw,
    }
}

/// Writes the 1,000,000-post store at `path` through `Store::record_pages`.
async fn seed(path: &Path, places: &[String]) {
    let store = Store::open(path).await.expect("seed store opens");
    seed_store(&store, places).await;
    store.close().await;
    // Fold the WAL into the file so the cache is one self-contained file.
    use sqlx::Connection;
    let url = format!("sqlite://{}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("raw connection");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .expect("checkpoint");
    conn.close().await.expect("close");
}

/// Writes the 1,000,000 posts and 200,000 items into `store` (either
/// engine) through `Store::record_pages`, the same posts every time.
pub async fn seed_store(store: &Store, places: &[String]) {
    let mut rng = Rng(0x5EED);
    let mut next_id = 1_000_000_000_000u64;
    let authors: Vec<Author> = (0..2_000)
        .map(|i| Author {
            id: 10_000 + i,
            username: format!("resident_{i}"),
            name: format!("Resident {i}"),
        })
        .collect();
    let started = Instant::now();
    for batch in 0..ITEMS / BATCH_ITEMS {
        let mut matched = Vec::new();
        let mut context = Vec::new();
        let mut used = std::collections::BTreeMap::new();
        for _ in 0..BATCH_ITEMS {
            let author = &authors[rng.zipf(authors.len())];
            used.insert(author.id, author.clone());
            let conversation = next_id + 1;
            for _ in 0..CONTEXT_PER_ITEM {
                next_id += 1;
                context.push(post(
                    next_id,
                    author.id,
                    text(&mut rng, "elsewhere"),
                    conversation,
                ));
            }
            next_id += 1;
            let place = &places[rng.zipf(places.len())];
            let decision = if rng.next().is_multiple_of(3) {
                Decision {
                    tags: vec![TAGS[rng.zipf(TAGS.len())].to_owned()],
                    ..Decision::default()
                }
            } else {
                Decision::default()
            };
            matched.push(TaggedPost {
                post: post(next_id, author.id, text(&mut rng, place), conversation),
                places: vec![place.clone()],
                decision,
                flags: Flags::default(),
                reply_path: ReplyPath::Manual,
            });
        }
        let seeded = PageBatch {
            monitor: format!("seed:{}", batch % 3),
            query: "seeded by benches/footprint.rs".into(),
            cursor: CursorMove::Complete {
                since_id: Some(next_id),
            },
            reads: matched.len() as u64,
            matched,
            authors: used.into_values().collect(),
            context,
            read_kind: ReadKind::PostRead,
            // A past month, so the seeded reads do not count against this month's budget.
            at: "2025-06-14T10:00:00Z".into(),
            spooled_through: None,
        };
        store
            .record_pages(&seeded)
            .await
            .expect("seed batch stored");
        if (batch + 1) % 40 == 0 {
            let done = (batch + 1) * BATCH_ITEMS;
            println!(
                "  seeded {done} items ({} posts) in {:.0} s",
                done * (CONTEXT_PER_ITEM + 1),
                started.elapsed().as_secs_f64()
            );
        }
    }
}

/// The cache file's name: `footprint-1m-<hash of migrations/>.db`, so a
/// store written under another schema is never reused (sqlx refuses a
/// database whose applied migrations were edited since).
fn cache_name() -> String {
    format!("footprint-1m-{:016x}.db", migrations_hash("migrations"))
}

/// FNV-1a over the names and contents of the files in `dir` (relative to
/// the crate), not its subdirectories.
pub fn migrations_hash(dir: &str) -> u64 {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("reading migrations/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        // SQLite's migrations only: `migrations/postgres/` is another
        // engine's schema, and not a file.
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    // FNV-1a over names and contents: stable across runs and toolchains.
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for file in files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        let bytes = std::fs::read(&file).expect("reading a migration");
        for b in name.unwrap_or_default().bytes().chain(bytes) {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// The cached 1M-post store, generated on first use.
pub async fn cached_store(places: &[String]) -> PathBuf {
    let dir = cache_dir();
    let name = cache_name();
    let path = dir.join(&name);
    if path.exists() {
        println!("store: cached {}", path.display());
        return path;
    }
    std::fs::create_dir_all(&dir).expect("creating the cache dir");
    // Stores of older schemas are dead weight (about 750 MB each).
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let stale = entry
            .file_name()
            .to_string_lossy()
            .starts_with("footprint-1m-");
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let partial = dir.join(format!("{name}.partial"));
    println!(
        "store: generating {POSTS} posts / {ITEMS} items into {} (once)",
        path.display()
    );
    let t = Instant::now();
    seed(&partial, places).await;
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
    }
    std::fs::rename(&partial, &path).expect("publishing the cache");
    println!("store: generated in {:.0} s", t.elapsed().as_secs_f64());
    path
}

/// Spreads statuses, owners (`owner` on a quarter of items) and priorities
/// over the seeded items as months of desk work would leave them: few items
/// still open, most replied or dismissed.
pub async fn spread_work(conn: &mut sqlx::SqliteConnection, owner: &str) {
    sqlx::query(
        "UPDATE items SET \
         status = CASE WHEN abs(random()) % 100 < 2 THEN 'new' \
             WHEN abs(random()) % 100 < 2 THEN 'in_progress' \
             WHEN abs(random()) % 100 < 8 THEN 'referred' \
             WHEN abs(random()) % 100 < 25 THEN 'dismissed' ELSE 'replied' END, \
         owner = CASE abs(random()) % 4 WHEN 0 THEN ? ELSE NULL END, \
         priority = CASE WHEN abs(random()) % 100 = 0 THEN 'urgent' \
             WHEN abs(random()) % 10 = 0 THEN 'high' ELSE 'normal' END",
    )
    .bind(owner)
    .execute(conn)
    .await
    .expect("spreading statuses, owners and priorities");
}
