//! `placewatch backup`, `restore` and `store status` as an operator runs
//! them (the real binary): a backup taken while the store is being written
//! is a sound, consistent copy, owner-only, with the tokens beside it when
//! asked; a restore is refused while a daemon holds the data directory and
//! puts the copy in place once it is stopped; a store a newer placewatch
//! migrated is refused, untouched, with words that say why.
//!
//! SQLite-only: backups and restores of the SQLite file (VACUUM INTO).

use placewatch::store::schema::SchemaStatus;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use placewatch::store::Store;
use sqlx::Connection;

use super::{TestStore, batch, matched, post};

fn placewatch(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_placewatch"))
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A config whose data directory holds `t`'s store.
fn config_for(t: &TestStore) -> std::path::PathBuf {
    let dir = t.path.parent().unwrap();
    let config = dir.join("placewatch.toml");
    std::fs::write(
        &config,
        format!(
            "[council]\nname = \"Croydon Council\"\nhandle = \"yourcroydon\"\n\
             [monitor]\nplaces = [\"Croydon\"]\n[data]\ndir = {:?}\n",
            dir.display().to_string()
        ),
    )
    .unwrap();
    config
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

async fn count(path: &Path, sql: &str) -> i64 {
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", path.display()))
        .await
        .unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
}

#[tokio::test]
async fn a_backup_taken_while_the_store_is_written_is_whole_and_restores() {
    let t = TestStore::open().await;
    let config = config_for(&t);
    std::fs::write(
        t.path.parent().unwrap().join("x-user-token.json"),
        "{\"fixture\":1}",
    )
    .unwrap();
    // Ten pages filed, then a writer files page after page while the
    // backup runs.
    let page = |page: u64| {
        let posts = (0..20)
            .map(|n| matched(post(page * 100 + n + 1, "Croydon bins"), &["Croydon"]))
            .collect();
        batch("m", posts)
    };
    for n in 0..10 {
        t.store.record_pages(&page(n)).await.unwrap();
    }
    let store = t.store.clone();
    let writer = tokio::spawn(async move {
        for n in 10..200u64 {
            store.record_pages(&page(n)).await.unwrap();
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("placewatch-backup.db");
    let out = placewatch(
        &["backup", "--to", copy.to_str().unwrap(), "--with-tokens"],
        &config,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("at schema version {}", SchemaStatus::known())),
        "{}",
        text(&out)
    );
    writer.await.unwrap();
    // Sound, and a snapshot: every item's post is in it, and the inbox's
    // counters agree with the items.
    assert_eq!(
        sqlx::query_scalar::<_, String>("PRAGMA integrity_check")
            .fetch_one(
                &mut sqlx::SqliteConnection::connect(&format!("sqlite://{}", copy.display()))
                    .await
                    .unwrap()
            )
            .await
            .unwrap(),
        "ok"
    );
    let items = count(&copy, "SELECT count(*) FROM items").await;
    assert!(items > 0, "the backup holds the pages filed before it");
    // The source at the backup's moment: pages are filed in order and never
    // changed after, so the copy's items, posts and audit entries are
    // exactly the source's up to the newest each holds, column by column.
    let mut source = t.raw().await;
    sqlx::query("ATTACH DATABASE ? AS copy")
        .bind(copy.to_str().unwrap())
        .execute(&mut source)
        .await
        .unwrap();
    for table in ["items", "posts", "audit"] {
        let newest: i64 = sqlx::query_scalar(&format!("SELECT max(id) FROM copy.{table}"))
            .fetch_one(&mut source)
            .await
            .unwrap();
        for (a, b) in [("main", "copy"), ("copy", "main")] {
            let differing: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM (SELECT * FROM {a}.{table} WHERE id <= ?1 \
                 EXCEPT SELECT * FROM {b}.{table} WHERE id <= ?1)"
            ))
            .bind(newest)
            .fetch_one(&mut source)
            .await
            .unwrap();
            assert_eq!(differing, 0, "{table} in {a} but not {b}");
        }
    }
    drop(source);
    assert_eq!(mode(&copy), 0o600);
    let tokens = dir.path().join("placewatch-backup.db.tokens.json");
    assert_eq!(std::fs::read_to_string(&tokens).unwrap(), "{\"fixture\":1}");
    assert_eq!(mode(&tokens), 0o600);
    // Never over an existing file.
    let again = placewatch(&["backup", "--to", copy.to_str().unwrap()], &config);
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));

    // Restore: refused while a daemon holds the data directory.
    t.store.close().await;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(t.path.parent().unwrap().join("placewatch.lock"))
        .unwrap();
    lock.lock().unwrap();
    let refused = placewatch(&["restore", "--from", copy.to_str().unwrap()], &config);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("daemon is running"),
        "{}",
        text(&refused)
    );
    drop(lock);
    let restored = placewatch(&["restore", "--from", copy.to_str().unwrap()], &config);
    assert!(restored.status.success(), "{}", text(&restored));
    assert_eq!(count(&t.path, "SELECT count(*) FROM items").await, items);
    assert_eq!(mode(&t.path), 0o600);
    let status = placewatch(&["store", "status", "--json"], &config);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["version"], SchemaStatus::known());
    assert_eq!(status["pending"], serde_json::json!([]));
    Store::open(&t.path).await.unwrap().close().await;
}

#[tokio::test]
async fn a_store_from_a_newer_placewatch_is_refused_untouched() {
    let t = TestStore::open().await;
    let config = config_for(&t);
    t.store.close().await;
    let mut raw = t.raw().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (99, 'from the future', CURRENT_TIMESTAMP, TRUE, x'00', 0)",
    )
    .execute(&mut raw)
    .await
    .unwrap();
    drop(raw);
    let e = Store::open(&t.path).await.expect_err("refused").to_string();
    assert!(
        e.contains(&format!(
            "was written by a newer placewatch (schema 99; this one knows up to {})",
            SchemaStatus::known()
        )),
        "{e}"
    );
    assert_eq!(
        count(&t.path, "SELECT max(version) FROM _sqlx_migrations").await,
        99
    );
    let status = placewatch(&["store", "status"], &config);
    assert!(
        text(&status).contains("written by a newer placewatch"),
        "{}",
        text(&status)
    );
    // A backup of it cannot be restored here either.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("future.db");
    assert!(
        placewatch(&["backup", "--to", copy.to_str().unwrap()], &config)
            .status
            .success()
    );
    let refused = placewatch(&["restore", "--from", copy.to_str().unwrap()], &config);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("newer placewatch"),
        "{}",
        text(&refused)
    );
}
