//! The manager's report from a store built through the store's own verbs:
//! items filed by `record_pages`, replies sent on both paths, a referral, a
//! dismissal and an item left open, and an item of the previous period.
//! Each figure is checked against what was done: the durations from the
//! times the audit log recorded for each step (the store stamps them with
//! the clock), the rest as counted by hand.

use std::collections::HashMap;

use placewatch::domain::mail::Address;
use placewatch::domain::outbox::ReplyState;
use placewatch::domain::report::days::{day_start, uk_date};
use placewatch::domain::report::{
    Measure, Period, Prices, ReportSettings, WallClock, month_fraction,
};
use placewatch::domain::team::TeamConfig;
use placewatch::domain::text::ReplyPrices;
use placewatch::domain::triage::{Action, Priority, ReplyPath, WaitingTargets};
use placewatch::store::{ItemFilter, NewReferral, Store};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{TestStore, batch_at, ids_by_post, matched, post, thanks};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

struct Filed {
    post: u64,
    minutes_ago: i64,
    places: &'static [&'static str],
    priority: Priority,
    path: ReplyPath,
    lang: Option<&'static str>,
    team: Option<&'static str>,
    tags: &'static [&'static str],
}

const fn filed(post: u64, minutes_ago: i64, places: &'static [&'static str]) -> Filed {
    Filed {
        post,
        minutes_ago,
        places,
        priority: Priority::Normal,
        path: ReplyPath::Api,
        lang: Some("en"),
        team: None,
        tags: &[],
    }
}

fn settings(now: OffsetDateTime) -> ReportSettings {
    ReportSettings {
        targets: WaitingTargets::default(),
        prices: Prices {
            post_read_usd: 0.005,
            owned_read_usd: 0.001,
            replies: ReplyPrices::X_2026_04_20,
            monthly_usd: Some(200.0),
        },
        now,
    }
}

/// When the item's audit log first recorded one of `actions`.
async fn audited_at(store: &Store, item: i64, actions: &[&str]) -> OffsetDateTime {
    let mut entries = store.audit(Some(item), 100).await.unwrap();
    entries.reverse();
    let entry = entries
        .iter()
        .find(|e| actions.contains(&e.action.as_str()))
        .unwrap_or_else(|| panic!("item {item} has none of {actions:?}"));
    OffsetDateTime::parse(&entry.at, &Rfc3339).unwrap()
}

#[apply(engines)]
#[tokio::test]
async fn every_figure_of_a_week_is_what_was_done(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let store = &t.store;
    let team = TeamConfig {
        name: "Streets".into(),
        emails: vec!["streets@croydon.example".parse::<Address>().unwrap()],
        members: vec![],
        teams_webhook_env: None,
        slack_webhook_env: None,
    };
    store.sync_config_teams(&[team]).await.unwrap();

    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let today = uk_date(now);
    let period = Period::new(today - time::Duration::days(6), today).unwrap();
    let posts = [
        // Replied through the API by sam: waited 10 hours (normal: late).
        Filed {
            tags: &["bins"],
            ..filed(101, 600, &["Croydon", "Purley"])
        },
        // Replied on x.com by priya: half an hour (high: in time).
        Filed {
            priority: Priority::High,
            path: ReplyPath::Manual,
            lang: Some("cy"),
            ..filed(102, 30, &["Croydon"])
        },
        // Referred to Streets by sam after 3 hours.
        Filed {
            team: Some("Streets"),
            tags: &["bins", "roads"],
            ..filed(103, 180, &["Purley"])
        },
        // Dismissed by priya after 2 hours.
        Filed {
            priority: Priority::Low,
            ..filed(104, 120, &["Croydon"])
        },
        // Still new after 2 hours (urgent: late).
        Filed {
            priority: Priority::Urgent,
            lang: None,
            ..filed(105, 120, &["Croydon"])
        },
        // Eight days ago: the previous period.
        filed(106, 8 * 24 * 60, &["Croydon"]),
    ];
    let tagged = posts
        .iter()
        .map(|f| {
            let mut p = post(f.post, &format!("Something in {}", f.places[0]));
            let at = now - time::Duration::minutes(f.minutes_ago);
            p.created_at = Some(at.format(&Rfc3339).unwrap());
            p.lang = f.lang.map(str::to_owned);
            let mut m = matched(p, f.places);
            m.reply_path = f.path;
            m.decision.priority = f.priority;
            m.decision.team = f.team.map(str::to_owned);
            m.decision.tags = f.tags.iter().map(|t| (*t).to_owned()).collect();
            m
        })
        .collect();
    // Stored at noon (UK) today: this month's reads, whatever the hour.
    let stored_at = (day_start(today) + time::Duration::hours(12))
        .format(&Rfc3339)
        .unwrap();
    store
        .record_pages(&batch_at("Croydon", tagged, &stored_at))
        .await
        .unwrap();
    let ids = ids_by_post(store).await;

    // 101: an API reply by sam, sent by the outbox.
    let sent = store
        .record_reply(&thanks(
            ids[&101],
            "sam",
            ReplyState::Sending,
            ReplyPath::Api,
        ))
        .await
        .unwrap();
    store.mark_sent(sent.id, 9_001, "outbox").await.unwrap();
    // 102: priya's reply on x.com, found in the council's timeline.
    let manual = store
        .record_reply(&thanks(
            ids[&102],
            "priya",
            ReplyState::ManualPending,
            ReplyPath::Manual,
        ))
        .await
        .unwrap();
    store.link_manual_reply(manual.id, 9_002).await.unwrap();
    // 103: referred by sam.
    store
        .refer(&NewReferral {
            item_id: ids[&103],
            team: "Streets",
            reason: "Bins not collected",
            officer: "sam",
            message_domain: "croydon.example",
        })
        .await
        .unwrap();
    // 104: dismissed by priya.
    store
        .transition(ids[&104], Action::Dismiss, "priya")
        .await
        .unwrap();

    let report = store
        .report(period, &WallClock, Measure::WallClock, &settings(now))
        .await
        .unwrap();

    // Volume.
    let v = &report.volume;
    assert_eq!(v.total, 5);
    assert_eq!(v.per_day.len(), 7);
    let mut per_day: HashMap<time::Date, u64> = HashMap::new();
    for f in &posts[..5] {
        *per_day
            .entry(uk_date(now - time::Duration::minutes(f.minutes_ago)))
            .or_default() += 1;
    }
    for (day, n) in &v.per_day {
        assert_eq!(*n, per_day.get(day).copied().unwrap_or(0), "items on {day}");
    }
    let labels = |counts: &[placewatch::domain::report::Count]| {
        counts
            .iter()
            .map(|c| (c.label.clone(), c.n))
            .collect::<Vec<_>>()
    };
    let pairs = |p: &[(&str, u64)]| {
        p.iter()
            .map(|(l, n)| ((*l).to_owned(), *n))
            .collect::<Vec<_>>()
    };
    assert_eq!(labels(&v.by_place), pairs(&[("Croydon", 4), ("Purley", 2)]));
    assert_eq!(labels(&v.by_tag), pairs(&[("bins", 2), ("roads", 1)]));
    assert_eq!(
        labels(&v.by_reply_path),
        pairs(&[("API", 4), ("Manual", 1)])
    );
    assert_eq!(
        labels(&v.by_language),
        pairs(&[("en", 3), ("Not given", 1), ("cy", 1)])
    );
    let (from, to) = (period.from, period.to);
    assert_eq!(
        v.by_place[1].query.as_deref(),
        Some(format!("status=all&from={from}&to={to}&place=Purley").as_str())
    );
    let top: Vec<(String, u64, u64)> = v
        .top_places
        .iter()
        .map(|t| (t.label.clone(), t.this_period, t.previous_period))
        .collect();
    assert_eq!(
        top,
        [("Croydon".to_owned(), 4, 1), ("Purley".to_owned(), 2, 0)]
    );

    // Outcomes.
    let o = &report.outcomes;
    assert_eq!(o.total, 5);
    assert_eq!((o.replied_api.n, o.replied_manual.n), (1, 1));
    assert_eq!(labels(&o.referred), pairs(&[("Streets", 1)]));
    assert_eq!((o.dismissed.n, o.open.n), (1, 1));
    assert_eq!(o.answered_percent, 60.0);
    assert_eq!(
        o.open.query.as_deref(),
        Some(format!("status=open&from={from}&to={to}").as_str())
    );

    // Speed, from the post's time to the step the audit log recorded.
    let since = |f: &Filed, at: OffsetDateTime| {
        (at - (now - time::Duration::minutes(f.minutes_ago))).whole_seconds() as u64
    };
    let r101 = since(
        &posts[0],
        audited_at(store, ids[&101], &["reply.sent"]).await,
    );
    let r102 = since(
        &posts[1],
        audited_at(store, ids[&102], &["reply.sent_manually"]).await,
    );
    let r103 = since(
        &posts[2],
        audited_at(store, ids[&103], &["item.referred"]).await,
    );
    let d104 = since(
        &posts[3],
        audited_at(store, ids[&104], &["item.dismissed"]).await,
    );
    // About 10 h, 30 min, 3 h and 2 h: in that order whatever the test's pace.
    assert!(r102 < d104 && d104 < r103 && r103 < r101);
    let s = &report.speed;
    assert_eq!(s.measure, Measure::WallClock);
    assert_eq!(s.overall.first_response.count, 3);
    assert_eq!(s.overall.first_response.median_secs, Some(r103));
    assert_eq!(s.overall.first_response.p90_secs, Some(r101));
    assert_eq!(s.overall.resolution.count, 4);
    assert_eq!(s.overall.resolution.median_secs, Some(d104));
    assert_eq!(s.overall.resolution.p90_secs, Some(r101));
    // 101 answered after 10 h (normal: 8 h); 105 urgent and still open.
    assert_eq!(s.overall.missed_target, 2);
    let by_priority: Vec<(String, u64, u64)> = s
        .by_priority
        .iter()
        .map(|l| (l.label.clone(), l.first_response.count, l.missed_target))
        .collect();
    assert_eq!(
        by_priority,
        [
            ("Urgent".to_owned(), 0, 1),
            ("High".to_owned(), 1, 0),
            ("Normal".to_owned(), 2, 1),
            ("Low".to_owned(), 0, 0),
        ]
    );
    // The outbox sent 101's reply; sam wrote it and answered first.
    let by_officer: Vec<(String, Option<u64>, Option<u64>)> = s
        .by_officer
        .iter()
        .map(|l| {
            (
                l.label.clone(),
                l.first_response.median_secs,
                l.first_response.p90_secs,
            )
        })
        .collect();
    assert_eq!(
        by_officer,
        [
            ("sam".to_owned(), Some(r103), Some(r101)),
            ("priya".to_owned(), Some(r102), Some(r102)),
        ]
    );
    let by_team: Vec<(String, u64, bool)> = s
        .by_team
        .iter()
        .map(|l| (l.label.clone(), l.resolution.count, l.query.is_some()))
        .collect();
    assert_eq!(
        by_team,
        [
            ("Streets".to_owned(), 1, true),
            ("No team".to_owned(), 3, false)
        ]
    );

    // Spend: the six posts read this month, one reply through the API
    // (sent now: this month unless the UK's first hour of a month is UTC's
    // last of the one before).
    let p = &report.spend;
    let month = format!("{:04}-{:02}", today.year(), today.month() as u8);
    assert_eq!(p.month, month);
    assert_eq!((p.post_reads, p.owned_reads), (6, 0));
    let same_month = (now.year(), now.month()) == (today.year(), today.month());
    let replies = u64::from(same_month);
    assert_eq!(p.replies, replies);
    let usd = 6.0 * 0.005 + replies as f64 * ReplyPrices::X_2026_04_20.post_create_usd;
    assert!((p.usd - usd).abs() < 1e-9, "{} against {usd}", p.usd);
    let gone = month_fraction(today.year(), today.month(), now).clamp(1e-3, 1.0);
    assert!((p.forecast_usd - usd / gone).abs() < 1e-9);
    assert_eq!(p.budget_usd, Some(200.0));
    let reads: Vec<(String, u64)> = p
        .by_place
        .iter()
        .map(|r| (r.label.clone(), r.reads))
        .collect();
    assert_eq!(reads, [("Croydon".to_owned(), 5), ("Purley".to_owned(), 2)]);
    assert!((p.by_place[0].usd - 0.025).abs() < 1e-9);
}

#[apply(engines)]
#[tokio::test]
async fn a_store_opened_again_keeps_the_times_it_derived(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let mut p = post(201, "Croydon again");
    p.created_at = Some((now - time::Duration::hours(1)).format(&Rfc3339).unwrap());
    let at = now.format(&Rfc3339).unwrap();
    t.store
        .record_pages(&batch_at("Croydon", vec![matched(p, &["Croydon"])], &at))
        .await
        .unwrap();
    let item = t
        .store
        .list_items(&ItemFilter::default())
        .await
        .unwrap()
        .items[0]
        .id;
    t.store
        .transition(item, Action::Dismiss, "sam")
        .await
        .unwrap();
    let dismissed = audited_at(&t.store, item, &["item.dismissed"]).await;
    // Reopening does not unsay the first resolution.
    t.store
        .transition(item, Action::Reopen, "sam")
        .await
        .unwrap();
    t.store.close().await;
    let store = t.reopen().await;
    let today = uk_date(now);
    let period = Period::new(today - time::Duration::days(1), today).unwrap();
    let report = store
        .report(period, &WallClock, Measure::WallClock, &settings(now))
        .await
        .unwrap();
    let expected = (dismissed - (now - time::Duration::hours(1))).whole_seconds() as u64;
    assert_eq!(report.speed.overall.resolution.median_secs, Some(expected));
    assert_eq!(report.speed.overall.first_response.count, 0);
    assert_eq!(report.outcomes.open.n, 1);
}

fn report(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_placewatch"))
        .arg("report")
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The records of `csv` as Python's `csv` module reads them (an empty line
/// is an empty record).
fn records(csv: &str) -> Vec<Vec<String>> {
    use std::io::Write;
    let script = "import csv, io, json, sys\n\
                  rows = list(csv.reader(io.TextIOWrapper(sys.stdin.buffer, encoding='utf-8', newline='')))\n\
                  print(json.dumps(rows))";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(csv.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[apply(engines)]
#[tokio::test]
async fn placewatch_report_prints_the_figures_as_text_json_and_inert_csv(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let hostile_tag = "=HYPERLINK(\"http://evil.example\",\"click\")";
    let posts = (301..=303)
        .map(|id| {
            let mut p = post(id, "=cmd|' /C calc'!A0 Croydon");
            p.created_at = Some((now - time::Duration::hours(2)).format(&Rfc3339).unwrap());
            let mut m = matched(p, &["Croydon"]);
            m.decision.tags = vec![hostile_tag.to_owned(), "bins".to_owned()];
            m
        })
        .collect();
    let at = now.format(&Rfc3339).unwrap();
    t.store
        .record_pages(&batch_at("Croydon", posts, &at))
        .await
        .unwrap();
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
    let today = uk_date(now);
    let (from, to) = (
        (today - time::Duration::days(6)).to_string(),
        today.to_string(),
    );
    let period = ["--from", from.as_str(), "--to", to.as_str()];

    // One table: a plain CSV document, the hostile tag made inert.
    let mut args = period.to_vec();
    args.extend(["--csv", "--table", "volume-by-tag"]);
    let rows = records(&ok(&report(&config, &args)));
    assert_eq!(
        rows,
        [
            vec!["Tag".to_owned(), "Items".to_owned()],
            vec![format!("'{hostile_tag}"), "3".to_owned()],
            vec!["bins".to_owned(), "3".to_owned()],
        ]
    );

    // Every table: a title record, the header and rows, an empty record.
    let mut args = period.to_vec();
    args.push("--csv");
    let all = records(&ok(&report(&config, &args)));
    let tables: Vec<&[Vec<String>]> = all
        .split(|r| r.is_empty())
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(tables.len(), 13, "{all:?}");
    for table in &tables {
        assert_eq!(table[0].len(), 1, "a title first: {table:?}");
        assert!(table.len() >= 2, "a header: {table:?}");
    }
    let by_tag = tables
        .iter()
        .find(|t| t[0][0] == "Items by tag")
        .expect("the tags table");
    assert_eq!(by_tag[2], [format!("'{hostile_tag}"), "3".to_owned()]);
    for cell in all.iter().flatten() {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "a formula: {cell:?}"
        );
    }
    let outcomes = tables
        .iter()
        .find(|t| t[0][0].starts_with("What became"))
        .unwrap();
    assert!(outcomes.contains(&vec![
        "Still open".to_owned(),
        "3".to_owned(),
        "100.0%".to_owned()
    ]));

    // JSON: the report itself.
    let mut args = period.to_vec();
    args.push("--json");
    let json: serde_json::Value = serde_json::from_str(&ok(&report(&config, &args))).unwrap();
    assert_eq!(json["volume"]["total"], 3);
    assert_eq!(json["outcomes"]["open"]["n"], 3);
    assert_eq!(
        json["speed"]["measure"], "office_hours",
        "as configured (the default)"
    );
    assert_eq!(json["spend"]["post_reads"], 3);
    args.push("--wall-clock");
    let json: serde_json::Value = serde_json::from_str(&ok(&report(&config, &args))).unwrap();
    assert_eq!(json["speed"]["measure"], "wall_clock");

    // Text: each table under its title.
    let text = ok(&report(&config, &period));
    assert!(text.contains("Items by place"), "{text}");
    assert!(text.lines().any(|l| l.trim() == "Croydon  3"), "{text}");

    // A period that ends before it begins is a usage error.
    let out = report(&config, &["--from", to.as_str(), "--to", "2020-01-01"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is after --to 2020-01-01"));
    let out = report(&config, &["--from", "2026-02-30", "--to", to.as_str()]);
    assert_eq!(out.status.code(), Some(2));
    // An unknown table names the ones there are.
    let mut args = period.to_vec();
    args.extend(["--csv", "--table", "nope"]);
    let out = report(&config, &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("volume-by-place"));
}

/// The state of an item's times as the audit log tells them: the first
/// response (when, by whom) and the first resolution.
type Times = (Option<String>, Option<String>, Option<String>);

/// SQLite-only: an upgrade from an old SQLite schema.
#[tokio::test]
async fn the_upgrade_derives_each_items_times_from_the_audit_log_it_finds() {
    use sqlx::{Connection, Row};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("placewatch.db");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/store-schema-8.db"
        ),
        &path,
    )
    .unwrap();
    let url = format!("sqlite://{}", path.display());

    // What the old store's audit log says, read entry by entry.
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let officers: HashMap<i64, String> = sqlx::query("SELECT id, officer FROM replies")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("id"), r.get("officer")))
        .collect();
    let mut expected: HashMap<i64, Times> = sqlx::query("SELECT id FROM items")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("id"), (None, None, None)))
        .collect();
    let entries = sqlx::query(
        "SELECT at, actor, action, item_id, state_after FROM audit \
         WHERE item_id IS NOT NULL ORDER BY id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for e in &entries {
        let action: String = e.get("action");
        let at: String = e.get("at");
        let times = expected.get_mut(&e.get::<i64, _>("item_id")).unwrap();
        let responds = matches!(
            action.as_str(),
            "reply.sent" | "reply.sent_manually" | "item.marked_replied" | "item.referred"
        );
        if responds && times.0.is_none() {
            let mut by: String = e.get("actor");
            if action == "reply.sent" {
                let after: Option<String> = e.get("state_after");
                let reply = after
                    .and_then(|a| serde_json::from_str::<serde_json::Value>(&a).ok())
                    .and_then(|a| a["reply"]["id"].as_i64());
                if let Some(officer) = reply.and_then(|id| officers.get(&id)) {
                    by = officer.clone();
                }
            }
            times.0 = Some(at.clone());
            times.1 = Some(by);
        }
        if (responds || action == "item.dismissed") && times.2.is_none() {
            times.2 = Some(at);
        }
    }
    conn.close().await.unwrap();
    let answered = expected.values().filter(|t| t.0.is_some()).count();
    let resolved = expected.values().filter(|t| t.2.is_some()).count();
    assert!(
        answered > 0 && resolved >= answered,
        "{answered} {resolved}"
    );

    // The upgrade's backfill.
    Store::open(&path).await.unwrap().close().await;
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let derived: HashMap<i64, Times> = sqlx::query(
        "SELECT item_id, first_response_at, first_response_by, resolved_at FROM item_times",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.get("item_id"),
            (
                r.get("first_response_at"),
                r.get("first_response_by"),
                r.get("resolved_at"),
            ),
        )
    })
    .collect();
    assert_eq!(derived, expected);
    let unposted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM item_times t JOIN items i ON i.id = t.item_id \
         JOIN posts p ON p.id = i.post_id WHERE t.posted_at IS NOT coalesce(p.created_at, i.created_at)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(unposted, 0);
    // Every matched post stored, counted once per place.
    let reads: i64 = sqlx::query_scalar("SELECT sum(reads) FROM place_reads")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let places: i64 = sqlx::query_scalar("SELECT count(*) FROM item_places")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(reads, places);
}
