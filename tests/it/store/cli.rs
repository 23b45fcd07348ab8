//! `placewatch triage list` over a real store: pages of at most 500 with a
//! continuation, never a silent cap.

use std::process::Command;

use super::{TestStore, batch, matched, post};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

fn list(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_placewatch"))
        .args(["triage", "list", "--config"])
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn stdout(out: &std::process::Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[apply(engines)]
#[tokio::test]
async fn triage_list_pages_with_a_continuation_and_refuses_a_limit_past_its_maximum(
    #[case] engine: Engine,
) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let posts = (1..=7)
        .map(|n| matched(post(n, "Croydon bins"), &["Croydon"]))
        .collect();
    t.store.record_pages(&batch("m", posts)).await.unwrap();
    t.store.close().await;
    let dir = t.dir();
    let config = dir.join("placewatch.toml");
    std::fs::write(
        &config,
        format!(
            "[council]\nname = \"Croydon Council\"\nhandle = \"yourcroydon\"\n\n\
             [monitor]\nplaces = [\"Croydon\"]\n\n[data]\ndir = \"{}\"\n",
            dir.display()
        ) + &t.store_section(),
    )
    .unwrap();

    // Pages of three, each ending with where the next begins.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for page in 0.. {
        let mut args = vec!["--limit", "3"];
        if let Some(a) = &after {
            args.extend(["--after", a.as_str()]);
        }
        let lines = stdout(&list(&config, &args));
        assert!(lines[0].starts_with("new 7"), "the counts first: {lines:?}");
        let items: Vec<&String> = lines[1..]
            .iter()
            .filter(|l| !l.starts_with("more:"))
            .collect();
        seen.extend(items.iter().map(|l| l.to_string()));
        match lines.last().unwrap().strip_prefix("more: --after ") {
            Some(next) => {
                assert_eq!(items.len(), 3);
                after = Some(next.to_owned());
            }
            None => {
                assert_eq!(page, 2);
                break;
            }
        }
    }
    assert_eq!(seen.len(), 7, "every item once: {seen:?}");

    // A limit past the maximum is an error, not a quiet 500.
    let out = list(&config, &["--limit", "800"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("800 is not in 1..=500"), "{err}");

    // JSON: items only on stdout, the continuation on stderr; --all pages on.
    let out = list(&config, &["--limit", "5", "--json"]);
    assert_eq!(stdout(&out).len(), 5);
    assert!(String::from_utf8_lossy(&out.stderr).contains("more: --after "));
    let all = stdout(&list(&config, &["--limit", "2", "--all", "--json"]));
    assert_eq!(all.len(), 7);
    for line in &all {
        let item: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(item["status"], "new");
    }
}

fn triage(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_placewatch"))
        .arg("triage")
        .args(args)
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn failure(out: &std::process::Output) -> String {
    assert!(!out.status.success(), "should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[apply(engines)]
#[tokio::test]
async fn triage_assign_gives_an_item_to_an_officer_a_team_or_nobody(#[case] engine: Engine) {
    use placewatch::domain::officer::Role;
    use placewatch::store::NewOfficer;

    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let posts = (1..=2)
        .map(|n| matched(post(n, "Croydon bins"), &["Croydon"]))
        .collect();
    t.store.record_pages(&batch("m", posts)).await.unwrap();
    for (username, disabled) in [("sam", false), ("dana", true)] {
        let new = NewOfficer {
            username,
            display_name: "Test Officer",
            role: Role::Officer,
            password_hash: "$argon2id$not-a-real-hash",
        };
        t.store.add_officer(&new, "test").await.unwrap();
        if disabled {
            t.store
                .set_officer_disabled(username, true, "test")
                .await
                .unwrap();
        }
    }
    let id = t.all_items().await[0].id.to_string();
    t.store.close().await;
    let dir = t.dir();
    let config = dir.join("placewatch.toml");
    std::fs::write(
        &config,
        format!(
            "[council]\nname = \"Croydon Council\"\nhandle = \"yourcroydon\"\n\n\
             [monitor]\nplaces = [\"Croydon\"]\n\n[data]\ndir = \"{}\"\n\n\
             [[teams]]\nname = \"Streets\"\nemails = [\"streets@croydon.example\"]\n\
             members = [\"priya\"]\n",
            dir.display()
        ) + &t.store_section(),
    )
    .unwrap();

    let lines = stdout(&triage(&config, &["assign", &id, "--to", "sam"]));
    assert!(lines[0].contains(" sam "), "{lines:?}");
    // To the team: sam is no member, so the item is the team's alone.
    let lines = stdout(&triage(&config, &["assign", &id, "--team", "streets"]));
    assert!(lines[0].contains(" -/Streets "), "{lines:?}");
    let lines = stdout(&triage(&config, &["assign", &id, "--to", "sam"]));
    assert!(lines[0].contains(" sam/Streets "), "{lines:?}");
    let listed = stdout(&list(&config, &["--team", "Streets"]));
    assert_eq!(listed.len(), 2, "the counts and the one item: {listed:?}");
    assert!(listed[1].starts_with(&format!("#{id} ")), "{listed:?}");
    let lines = stdout(&triage(&config, &["assign", &id, "--nobody"]));
    assert!(lines[0].contains(" -      "), "{lines:?}");

    let err = failure(&triage(&config, &["assign", &id, "--team", "Parks"]));
    assert!(
        err.contains("no team is called \"Parks\"; the teams are: Streets"),
        "{err}"
    );
    let err = failure(&triage(&config, &["assign", &id, "--to", "ghost"]));
    assert!(err.contains("no officer is called \"ghost\""), "{err}");
    let err = failure(&triage(&config, &["assign", &id, "--to", "dana"]));
    assert!(err.contains("officer \"dana\" is disabled"), "{err}");
    let err = failure(&triage(
        &config,
        &["assign", &id, "--to", "sam", "--team", "Streets"],
    ));
    assert!(err.contains("cannot be used with"), "{err}");
    let err = failure(&triage(&config, &["assign", &id]));
    assert!(
        err.contains("--to USERNAME, --team NAME or --nobody"),
        "{err}"
    );
}
