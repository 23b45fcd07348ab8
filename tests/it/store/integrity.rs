//! What the file itself guarantees: byte-exact posts whatever they hold, an
//! audit log that cannot be rewritten, migrations that run once, WAL mode.

use placewatch::domain::post::Author;
use placewatch::domain::triage::Action;
use sqlx::Row;

use super::{TestStore, batch, matched, post};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

fn hostile_texts() -> Vec<String> {
    vec![
        "<script>alert('x')</script> &amp; &lt;b&gt; <img src=x onerror=alert(1)>".into(),
        "Croydon \u{202E}gnirts desrever\u{202C} and zero\u{200B}width\u{FEFF}".into(),
        "family 👨‍👩‍👧‍👦 flag 🏴󠁧󠁢󠁷󠁬󠁳󠁿 e\u{301} vs é, CRLF\r\nTAB\tNUL\0end".into(),
        "'; DROP TABLE posts; -- \"quoted\" \\backslash\\ %s {{}} $1 ?".into(),
        format!("Croydon {}", "ab\u{1F600}c ".repeat(20_000)), // ~140 kB
        String::new(),
    ]
}

#[apply(engines)]
#[tokio::test]
async fn hostile_text_round_trips_byte_exact(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let texts = hostile_texts();
    let posts: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let mut p = post(i as u64 + 1, text);
            // Raw JSON as X sent it, escapes that look invalid included: the
            // store keeps the string, it does not parse or re-encode it.
            p.raw = format!(
                r#"{{"id":"{}","text":"\ud800 \u0000 \x41 \/ \"","note":{}}}"#,
                p.id,
                serde_json::to_string(text).unwrap()
            );
            p.mentions = vec!["your\u{200B}croydon".into(), "<b>".into()];
            p.lang = Some("\u{202E}en".into());
            p
        })
        .collect();
    let mut c = batch(
        "m",
        posts
            .iter()
            .map(|p| matched(p.clone(), &["Croydon"]))
            .collect(),
    );
    c.authors = vec![Author {
        id: super::AUTHOR_ID,
        username: "resident_a".into(),
        name: "<script>🙂\u{202E}</script>".into(),
    }];
    c.context = vec![{
        let mut p = post(100, &texts[1]);
        p.raw = "not JSON at all {\"".into();
        p
    }];
    t.store.record_pages(&c).await.unwrap();

    // PostgreSQL's text cannot hold U+0000: there a NUL in a post's text
    // (or a note) is kept as U+FFFD, and the raw JSON keeps the original.
    let as_stored = |text: &str| match engine {
        Engine::Sqlite => text.to_owned(),
        Engine::Postgres => text.replace('\0', "\u{FFFD}"),
    };
    for item in t.all_items().await {
        let original = posts.iter().find(|p| p.id == item.post.id).unwrap();
        let mut expected = original.clone();
        expected.text = as_stored(&original.text);
        assert_eq!(item.post, expected, "post {}", original.id);
        assert_eq!(item.post.text.as_bytes(), expected.text.as_bytes());
        assert_eq!(item.post.raw.as_bytes(), original.raw.as_bytes());
        assert_eq!(item.author.as_ref().unwrap(), &c.authors[0]);
    }
    let stored: Vec<_> = t.store.posts_after(0, 100).await.unwrap();
    assert_eq!(stored.len(), posts.len() + 1);
    let mut context = c.context[0].clone();
    context.text = as_stored(&context.text);
    assert_eq!(stored.last().unwrap().0, context);

    let id = t.all_items().await[0].id;
    for text in &texts {
        t.store
            .add_note(id, "officer \u{202E}", text)
            .await
            .unwrap();
    }
    let mut raw = t.conn().await;
    let edit = sqlx::query("UPDATE posts SET text = 'edited' WHERE id = 1")
        .execute(&mut raw)
        .await;
    assert!(edit.unwrap_err().to_string().contains("never change"));

    let notes: Vec<String> = t
        .store
        .notes(id)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.text)
        .collect();
    let expected: Vec<String> = texts.iter().map(|t| as_stored(t)).collect();
    assert_eq!(notes, expected);
}

#[apply(engines)]
#[tokio::test]
async fn the_audit_log_cannot_be_updated_or_deleted(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let c = batch("m", vec![matched(post(1, "Croydon"), &["Croydon"])]);
    let id = t.store.record_pages(&c).await.unwrap().new_items[0];
    t.store
        .transition(id, Action::Claim, "priya")
        .await
        .unwrap();
    let before = t.store.audit(None, 10).await.unwrap();
    assert_eq!(before.len(), 2);

    let mut raw = t.conn().await;
    for sql in [
        "UPDATE audit SET actor = 'someone else'",
        "UPDATE audit SET state_after = NULL WHERE id = 1",
        "DELETE FROM audit",
        "DELETE FROM audit WHERE id = 2",
    ] {
        let err = sqlx::query(sql).execute(&mut raw).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(t.store.audit(None, 10).await.unwrap(), before);
}

#[apply(engines)]
#[tokio::test]
async fn reopening_an_existing_store_migrates_nothing_and_keeps_the_data(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let c = batch("m", vec![matched(post(1, "Croydon"), &["Croydon"])]);
    t.store.record_pages(&c).await.unwrap();

    let schema = |raw: sqlx::AnyConnection| async move {
        let mut raw = raw;
        let objects = match engine {
            // sqlite_stat* tables come from `PRAGMA optimize` on close, not from migrations.
            Engine::Sqlite => {
                "SELECT type, name, sql FROM sqlite_master \
                 WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name"
            }
            Engine::Postgres => {
                "SELECT 'column', table_name || '.' || column_name, \
                     data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') \
                 FROM information_schema.columns WHERE table_schema = 'public' \
                 UNION ALL SELECT 'index', indexname, indexdef FROM pg_indexes \
                 WHERE schemaname = 'public' \
                 UNION ALL SELECT 'trigger', event_object_table || '.' || trigger_name, \
                     event_manipulation || ' ' || action_statement \
                 FROM information_schema.triggers WHERE trigger_schema = 'public' \
                 ORDER BY 2, 3"
            }
        };
        let rows = sqlx::query(objects).fetch_all(&mut raw).await.unwrap();
        let schema: Vec<(String, String, Option<String>)> = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        let migrations: Vec<(i64, String)> = sqlx::query_as(
            "SELECT version, CAST(installed_on AS TEXT) FROM _sqlx_migrations ORDER BY version",
        )
        .fetch_all(&mut raw)
        .await
        .unwrap();
        (schema, migrations)
    };
    let first = schema(t.conn().await).await;
    assert!(!first.0.is_empty());
    assert!(!first.1.is_empty());
    t.store.close().await;

    for _ in 0..2 {
        let again = t.reopen().await;
        assert_eq!(again.post_count().await.unwrap(), 1);
        assert_eq!(again.cursor("m").await.unwrap().unwrap().since_id, Some(1));
        again.close().await;
    }
    assert_eq!(
        schema(t.conn().await).await,
        first,
        "same schema, same migration rows"
    );
}

/// SQLite-only: WAL is SQLite's.
#[tokio::test]
async fn the_database_runs_in_wal_mode() {
    let t = TestStore::open().await;
    let mut raw = t.raw().await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(t.path.with_extension("db-wal").exists());
}
