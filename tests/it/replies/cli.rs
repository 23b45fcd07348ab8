//! The outbox from the terminal, through the real binary: `triage reply` with
//! a template (rendered for the item) or a text, approval, drafts and
//! cancelling, and the refusals (not logged in, too long, unknown template).

use std::process::ExitStatus;
use std::sync::Arc;

use placewatch::domain::outbox::ReplyState;
use serde_json::Value;

use super::kill::Bin;
use super::{OFFICER, ReplyTest};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

const TEMPLATES: &str = r#"
[[templates.reply]]
name = "thanks"
text = "Thanks {author}, we've passed your report about {place} to the team. {officer}"

[[templates.reply]]
name = "checked"
text = "Thanks {author}, an officer will look into this."
requires_approval = true
"#;

/// The test's config with the templates above, as a second file beside it.
fn with_templates(t: &ReplyTest) -> Arc<Bin> {
    let source = &t.auth.config.source;
    let text = std::fs::read_to_string(source).unwrap() + TEMPLATES;
    let path = source.with_file_name("with-templates.toml");
    std::fs::write(&path, text).unwrap();
    Arc::new(Bin {
        config: path,
        bearer: t.auth.sim.creds().bearer_token.clone(),
    })
}

async fn run(bin: &Arc<Bin>, args: &[&str]) -> (String, String, ExitStatus) {
    let bin = bin.clone();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        bin.run(&args, None)
    })
    .await
    .unwrap()
}

#[apply(engines)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_reply_renders_the_template_for_the_item_and_sends_it_once(#[case] engine: Engine) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let bin = with_templates(&t);
    let (item, post) = t.summoned_item("litter all down Cherry Orchard Road").await;
    let id = item.to_string();

    let (out, err, status) = run(
        &bin,
        &[
            "triage",
            "reply",
            &id,
            "--template",
            "thanks",
            "--officer",
            OFFICER,
        ],
    )
    .await;

    assert!(status.success(), "{out}{err}");
    let on_x = t.council_replies_to(post).await;
    assert_eq!(on_x.len(), 1);
    let author = t.store().item(item).await.unwrap().author.unwrap().username;
    assert_eq!(
        on_x[0].text,
        format!("Thanks @{author}, we've passed your report about Croydon to the team. Priya")
    );
    assert!(
        out.contains(&format!("sent as X post {}", on_x[0].id)),
        "{out}"
    );
    assert!(
        err.contains("cost: $0.010 (a reply to a post that summoned the council)"),
        "{err}"
    );
    let replies = t.replies_of(item).await;
    assert_eq!(replies[0].template.as_deref(), Some("thanks"));

    // Again: refused, nothing sent.
    let (_, err, status) = run(&bin, &["triage", "reply", &id, "--text", "Hello again"]).await;
    assert_eq!(status.code(), Some(1));
    assert!(err.contains("already has reply"), "{err}");
    assert_eq!(t.replies_created().await, 1);
}

#[apply(engines)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_that_requires_approval_waits_for_an_approver(#[case] engine: Engine) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let bin = with_templates(&t);
    let (item, post) = t.summoned_item("rats near the bins").await;

    let (out, err, status) = run(
        &bin,
        &[
            "triage",
            "reply",
            &item.to_string(),
            "--template",
            "checked",
            "--json",
        ],
    )
    .await;

    assert!(status.success(), "{out}{err}");
    let outcome: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(outcome["outcome"], "awaiting_approval");
    assert_eq!(t.replies_created().await, 0);
    let reply = outcome["reply"]["id"].to_string();
    let (out, err, status) = run(
        &bin,
        &["outbox", "approve", &reply, "--officer", "Admin Ada"],
    )
    .await;
    assert!(status.success(), "{out}{err}");
    assert_eq!(t.council_replies_to(post).await.len(), 1);
    let replies = t.replies_of(item).await;
    assert_eq!(replies[0].approved_by.as_deref(), Some("Admin Ada"));
}

#[apply(engines)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_are_listed_and_cancelled_and_free_the_post(#[case] engine: Engine) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let bin = with_templates(&t);
    let (item, _) = t.summoned_item("bench needs paint").await;
    let id = item.to_string();
    let (out, err, status) = run(
        &bin,
        &[
            "triage",
            "reply",
            &id,
            "--text",
            "Thanks, noted.",
            "--draft",
        ],
    )
    .await;
    assert!(
        status.success() && out.contains("saved as a draft"),
        "{out}{err}"
    );
    let reply = t.replies_of(item).await[0].id.to_string();

    let (out, _, status) = run(&bin, &["outbox", "list", "--state", "draft", "--json"]).await;
    assert!(status.success());
    assert_eq!(out.lines().count(), 1);
    let (out, err, status) = run(&bin, &["outbox", "cancel", &reply, "--json"]).await;
    assert!(status.success(), "{err}");
    let cancelled: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(t.replies_of(item).await[0].state, ReplyState::Cancelled);
    let (out, err, status) = run(&bin, &["triage", "reply", &id, "--text", "Thanks, fixed."]).await;
    assert!(status.success(), "{out}{err}");
    assert_eq!(t.replies_created().await, 1);
}

#[apply(engines)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_say_what_to_do_and_record_nothing(#[case] engine: Engine) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let bin = with_templates(&t);
    let (item, _) = t.summoned_item("hedge blocking the pavement").await;
    let id = item.to_string();

    let long = "a".repeat(281);
    let (_, err, status) = run(&bin, &["triage", "reply", &id, "--text", &long]).await;
    assert_eq!(status.code(), Some(1));
    assert!(
        err.contains("reply is 281 of 280 weighted characters"),
        "{err}"
    );

    let (_, err, status) = run(&bin, &["triage", "reply", &id, "--template", "nope"]).await;
    assert_eq!(status.code(), Some(1));
    assert!(
        err.contains("no template \"nope\"") && err.contains("thanks, checked"),
        "{err}"
    );

    // A data directory nobody logged in from (SQLite keeps the council's
    // tokens there; PostgreSQL keeps them in the store, so they go).
    if engine == Engine::Postgres {
        assert!(t.store().delete_x_tokens().await.unwrap());
    }
    let elsewhere = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&bin.config).unwrap().replace(
        &t.auth.config.data.dir.display().to_string(),
        &elsewhere.path().display().to_string(),
    );
    let config = elsewhere.path().join("placewatch.toml");
    std::fs::write(&config, text).unwrap();
    let logged_out = Arc::new(Bin {
        config,
        bearer: bin.bearer.clone(),
    });
    let (_, err, status) = run(&logged_out, &["triage", "reply", "1", "--text", "Hi"]).await;
    assert_eq!(status.code(), Some(1));
    assert!(
        err.contains("not logged in") && err.contains("placewatch auth login"),
        "{err}"
    );

    assert!(t.replies_of(item).await.is_empty());
    assert_eq!(t.posts_tried().await, 0);
}
