//! `placewatch reply check` and `placewatch templates list|preview`, run as the
//! real binary: what a script or an officer at a terminal sees, and the exit
//! codes (0 all accepted, 1 any refused, 2 usage or config error).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use placewatch::domain::triage::{Flags, ReplyPath};
use serde_json::{Value, json};

use crate::store::{TestStore, batch, matched, post};

const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/placewatch.toml");
const FAMILY: &str = "👨\u{200D}👩\u{200D}👧\u{200D}👦";

fn placewatch(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_placewatch"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("placewatch runs");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn json_lines(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

// ------------------------------------------------------------ reply check

#[test]
fn a_short_draft_is_accepted_with_its_length_and_cost() {
    let out = placewatch(
        &["reply", "check", "--text", "Thanks, we've passed this on."],
        &[],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "weighted length: 29 of 280\nX would accept it: yes\n\
         cost: $0.015 (a reply without a link; post_create)\n"
    );
}

#[test]
fn json_gives_one_object_and_prices_links_and_summons() {
    let check = |text: &str, extra: &[&str]| {
        let mut args = vec!["reply", "check", "--json", "--text", text];
        args.extend_from_slice(extra);
        let out = placewatch(&args, &[], None);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let lines = json_lines(&out);
        assert_eq!(lines.len(), 1);
        lines.into_iter().next().unwrap()
    };
    let url = "Report it at croydon.gov.uk/report";
    assert_eq!(
        check(url, &["--summoned"]),
        json!({"text": url, "weighted_length": 13 + 23, "valid": true, "reason": null,
               "cost_usd": 0.2, "priced_as": "post_create_with_url"})
    );
    let v = check("Thanks for letting us know", &["--summoned"]);
    assert_eq!(
        (&v["cost_usd"], &v["priced_as"]),
        (&json!(0.01), &json!("summoned_reply"))
    );
    let v = check("Thanks for letting us know", &[]);
    assert_eq!(v["cost_usd"], json!(0.015));
}

#[test]
fn an_over_length_draft_exits_1_with_the_count() {
    let text = "a".repeat(300);
    let out = placewatch(&["reply", "check", "--text", &text], &[], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(
            "weighted length: 300 of 280\nX would accept it: no: reply is 300 of 280 weighted \
             characters (20 too many)\n"
        ),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("error: X would refuse this reply"),
        "{}",
        stderr(&out)
    );
    let out = placewatch(&["reply", "check", "--text", "  "], &[], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("X would accept it: no: reply is only whitespace"));
}

#[test]
fn stdin_lines_each_get_an_object_and_bad_lines_an_error_object() {
    let over = "a".repeat(281);
    let input = [
        json!("Thanks, passed on.").to_string(),
        json!(over).to_string(),
        json!(format!("{FAMILY} thanks!")).to_string(),
        json!("Report it: https://www.croydon.gov.uk/report").to_string(),
        "not json at all".to_string(),
        String::new(), // blank lines are skipped
        json!("").to_string(),
        json!({"text": "x"}).to_string(),
        json!("café\r\nline two").to_string(),
    ]
    .join("\n");
    let out = placewatch(&["reply", "check", "--json"], &[], Some(&input));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "error: 2 of 6 texts would be refused by X; 2 lines were not JSON strings"
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 8, "{}", stdout(&out));
    // Keys come in the documented order.
    assert!(
        stdout(&out).starts_with(
            "{\"text\":\"Thanks, passed on.\",\"weighted_length\":18,\"valid\":true,\
             \"reason\":null,\"cost_usd\":0.015,\"priced_as\":\"post_create\"}\n"
        ),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        lines[0],
        json!({"text": "Thanks, passed on.", "weighted_length": 18, "valid": true,
               "reason": null, "cost_usd": 0.015, "priced_as": "post_create"})
    );
    assert_eq!(lines[1]["weighted_length"], 281);
    assert_eq!(lines[1]["valid"], false);
    assert_eq!(
        lines[1]["reason"],
        "reply is 281 of 280 weighted characters (1 too many)"
    );
    // A ZWJ family is one emoji: 2, plus " thanks!" (8).
    assert_eq!(lines[2]["weighted_length"], 10);
    assert_eq!(lines[2]["valid"], true);
    assert_eq!(lines[3]["weighted_length"], 11 + 23);
    assert_eq!(lines[3]["cost_usd"], 0.2);
    assert_eq!(lines[4]["line"], 5);
    assert!(
        lines[4]["error"]
            .as_str()
            .unwrap()
            .starts_with("line 5: not JSON: "),
        "{}",
        lines[4]
    );
    assert_eq!(lines[5]["text"], "");
    assert_eq!(lines[5]["valid"], false);
    assert_eq!(lines[5]["reason"], "reply is empty");
    assert_eq!(lines[6]["line"], 8);
    assert_eq!(
        lines[6]["error"],
        "line 8: expected a JSON string such as \"Thanks!\", got an object"
    );
    assert_eq!(lines[7]["text"], "café\r\nline two");
    assert_eq!(lines[7]["weighted_length"], 14);
}

#[test]
fn stdin_of_accepted_drafts_exits_0() {
    let input = format!("{}\r\n{}\n\n", json!("Thanks!"), json!(FAMILY.repeat(140)));
    let out = placewatch(&["reply", "check", "--json"], &[], Some(&input));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["weighted_length"], 280);
    assert_eq!(lines[1]["valid"], true);
}

#[test]
fn usage_and_config_errors_exit_2() {
    let out = placewatch(&["reply", "check"], &[], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("give the draft with --text TEXT, or use --json"));
    let out = placewatch(&["reply", "check", "--txt", "x"], &[], None);
    assert_eq!(out.status.code(), Some(2));
    let out = placewatch(
        &[
            "reply",
            "check",
            "--text",
            "x",
            "--config",
            "/nonexistent.toml",
        ],
        &[],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent.toml: cannot read config file"));
}

#[test]
fn a_config_sets_the_prices() {
    let args = [
        "reply", "check", "--json", "--text", "Thanks", "--config", REFERENCE,
    ];
    let out = placewatch(
        &args,
        &[("PLACEWATCH__BUDGET__POST_CREATE_USD", "0.02")],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_lines(&out)[0]["cost_usd"], 0.02);
}

// ------------------------------------------------------------ templates

#[test]
fn templates_list_shows_the_reference_templates() {
    let out = placewatch(
        &["templates", "list", "--config", REFERENCE, "--json"],
        &[],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = json_lines(&out);
    let names: Vec<&str> = lines.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "street-cleansing",
            "missed-bin",
            "pothole",
            "lost-property",
            "passed-on",
            "referred",
            "abusive-neutral"
        ]
    );
    let street = &lines[0];
    assert_eq!(street["has_link"], true);
    assert!(
        street["welsh"]
            .as_str()
            .unwrap()
            .starts_with("Diolch {author}")
    );
    assert_eq!(
        street["placeholders"],
        json!(["author", "place", "service_url", "officer"])
    );
    assert_eq!(
        lines[5]["placeholders"],
        json!(["author", "team", "reference", "officer"])
    );
    assert_eq!(lines[6]["requires_approval"], true);
    assert_eq!(lines[4]["has_link"], false);

    let out = placewatch(&["templates", "list", "--config", REFERENCE], &[], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("street-cleansing  tags [waste, litter, fly-tipping] · Welsh · "),
        "{text}"
    );
    assert!(
        text.contains("\n  Thanks {author}, we've passed your report about {place}"),
        "{text}"
    );
    assert!(
        text.contains("abusive-neutral  tags [abuse] · needs approval · "),
        "{text}"
    );
    assert!(
        text.contains("variables:\n  {pothole_url} = https://"),
        "{text}"
    );
}

/// A store in a temp dir holding two items by @resident_a: #1 about Croydon
/// (manual path), #2 about East Croydon that summoned the council (API path).
async fn store_with_items() -> (TestStore, i64, i64) {
    let t = TestStore::open().await;
    let mut summoned = matched(
        post(2, "@yourcroydon bins on East Croydon"),
        &["East Croydon"],
    );
    summoned.reply_path = ReplyPath::Api;
    summoned.flags = Flags {
        summoned: true,
        ..Flags::default()
    };
    let c = batch(
        "m",
        vec![
            matched(post(1, "Croydon fly-tipping"), &["Croydon"]),
            summoned,
        ],
    );
    let ids = t.store.record_pages(&c).await.unwrap().new_items;
    t.store.close().await;
    (t, ids[0], ids[1])
}

fn preview(data: &Path, args: &[&str]) -> Output {
    let mut all = vec!["templates", "preview"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--config", REFERENCE]);
    let dir = data.to_str().unwrap();
    placewatch(&all, &[("PLACEWATCH__DATA__DIR", dir)], None)
}

#[tokio::test]
async fn templates_preview_renders_for_a_stored_item() {
    let (t, manual, api) = store_with_items().await;
    let data = t.path.parent().unwrap();

    let id = api.to_string();
    let args = [
        "street-cleansing",
        "--item",
        &id,
        "--officer",
        "Priya Shah",
        "--json",
    ];
    let out = preview(data, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = &json_lines(&out)[0];
    let text = "Thanks @resident_a, we've passed your report about East Croydon to our street \
                cleansing team. You can also report it directly at \
                https://www.croydon.gov.uk/report – Priya";
    assert_eq!(v["text"], text);
    assert_eq!(v["valid"], true);
    assert_eq!(v["reply_path"], "api");
    assert_eq!(v["summoned"], true);
    // The link costs the with-URL price even though the author summoned the council.
    assert_eq!(
        (&v["cost_usd"], &v["priced_as"]),
        (&json!(0.2), &json!("post_create_with_url"))
    );
    assert_eq!(v["warnings"], json!([]));

    let out = preview(
        data,
        &[
            "street-cleansing",
            "--item",
            &id,
            "--officer",
            "Priya",
            "--welsh",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(
        shown.starts_with("template street-cleansing (Welsh) for item #"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "\n\nDiolch @resident_a, rydym wedi trosglwyddo eich adroddiad am East Croydon"
        ),
        "{shown}"
    );
    assert!(
        shown.contains(
            "\nX would accept it: yes\ncost: $0.200 (a reply with a link; post_create_with_url)\n"
        ),
        "{shown}"
    );
    assert!(shown.contains("reply path: api"), "{shown}");

    let id = manual.to_string();
    let out = preview(data, &["passed-on", "--item", &id, "--officer", "Sam"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(
        shown.contains(
            "Thanks @resident_a, we've passed this on to the right team at Croydon Council. – Sam\n"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("reply path: manual — only a person can answer this post"),
        "{shown}"
    );
    let out = preview(data, &["abusive-neutral", "--item", &id, "--json"]);
    let v = &json_lines(&out)[0];
    assert_eq!(
        (&v["cost_usd"], &v["priced_as"]),
        (&json!(0.0), &json!("manual"))
    );
    assert_eq!(
        v["warnings"],
        json!(["{officer} has no value: pass --officer NAME"])
    );
    assert!(
        v["text"]
            .as_str()
            .unwrap()
            .ends_with("to the right team. – ")
    );
}

#[tokio::test]
async fn templates_preview_refuses_unknown_names_and_missing_welsh() {
    let (t, manual, _) = store_with_items().await;
    let data = t.path.parent().unwrap();
    let id = manual.to_string();

    let out = preview(data, &["street-cleaning", "--item", &id]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "no template named \"street-cleaning\"; templates: street-cleansing, missed-bin"
        ),
        "{}",
        stderr(&out)
    );
    let out = preview(data, &["pothole", "--item", &id, "--welsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("template \"pothole\" has no Welsh text"),
        "{}",
        stderr(&out)
    );
    let out = preview(data, &["pothole", "--item", "999"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}
