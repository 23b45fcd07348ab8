//! The weekly report email through a real SMTP server
//! (`tests/support/smtp_sink.py`): sent once when its time comes, with the
//! week's tables attached as CSV; an interrupted send goes again as the
//! same message; a week whose time passed long before placewatch ran is
//! not sent late.

use std::sync::Arc;

use placewatch::config::{Config, MailSecurity};
use placewatch::domain::mail::report::ReportMail;
use placewatch::domain::report::Period;
use placewatch::reports::weekly::{Check, Weekly};
use time::macros::{date, datetime};

use crate::mail::{Sink, SinkOptions, mailer};
use crate::store::TestStore;

fn config(sink: &Sink, dir: &std::path::Path) -> Config {
    let source = format!(
        r#"
[council]
name = "Croydon Council"
handle = "yourcroydon"

[monitor]
places = ["Croydon"]

[mail]
smtp_host = "127.0.0.1"
smtp_port = {port}
security = "starttls"
from = "comms-desk@croydon.example"
ca_file = "{ca}"

[reports]
weekly_to = ["head.of.comms@croydon.example"]
weekly_day = "monday"
weekly_at = "08:00"
"#,
        port = sink.port,
        ca = sink.ca_file.as_ref().unwrap().display(),
    );
    let path = dir.join("placewatch.toml");
    Config::from_str_with_env(&source, &path, &|_| None).unwrap()
}

async fn weekly() -> Option<(Sink, TestStore, Weekly, tempfile::TempDir)> {
    let sink = Sink::start(SinkOptions::default()).await?;
    let dir = tempfile::tempdir().unwrap();
    let t = TestStore::open().await;
    let weekly = Weekly {
        store: t.store.clone(),
        mailer: Arc::new(mailer(&sink, MailSecurity::Starttls, None)),
        config: Arc::new(config(&sink, dir.path())),
        desk_url: Some("https://desk.croydon.example/".parse().unwrap()),
    };
    Some((sink, t, weekly, dir))
}

fn message_id(period: Period) -> String {
    ReportMail::message_id(period).unwrap().to_string()
}

#[tokio::test]
async fn the_weekly_report_goes_once_when_its_time_comes_with_its_tables_attached() {
    let Some((sink, t, weekly, _dir)) = weekly().await else {
        return;
    };
    // Sunday evening: last Monday's report was due over a day ago, before
    // this store existed: not sent late.
    assert_eq!(
        weekly
            .check_at(datetime!(2026-12-06 20:00 UTC))
            .await
            .unwrap(),
        Check::default()
    );
    assert!(sink.messages().is_empty());

    // Monday 7 December, 08:00 GMT: the week of 30 November goes, once.
    let monday = datetime!(2026-12-07 08:00:30 UTC);
    let check = weekly.check_at(monday).await.unwrap();
    assert_eq!(check.sent, 1, "{check:?}");
    for later in [monday, datetime!(2026-12-07 17:00 UTC)] {
        assert_eq!(weekly.check_at(later).await.unwrap(), Check::default());
    }
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let m = messages[0].parsed();
    assert_eq!(
        m["subject"],
        "Croydon Council comms report, 30 Nov – 6 Dec 2026"
    );
    let week = Period::new(date!(2026 - 11 - 30), date!(2026 - 12 - 06)).unwrap();
    assert_eq!(m["message_id"], message_id(week));
    assert_eq!(m["to"][0]["addr_spec"], "head.of.comms@croydon.example");
    let parts = m["parts"].as_array().unwrap();
    let types: Vec<&str> = parts
        .iter()
        .map(|p| p["content_type"].as_str().unwrap())
        .collect();
    assert_eq!(&types[..2], ["text/plain", "text/html"]);
    let csvs: Vec<&serde_json::Value> = parts
        .iter()
        .filter(|p| p["content_type"] == "text/csv")
        .collect();
    assert!(csvs.len() >= 10, "every table attached: {types:?}");
    assert!(
        csvs.iter()
            .all(|p| p["content"].as_str().unwrap().lines().count() >= 1),
        "each with its header row at least"
    );
    let html = parts[1]["content"].as_str().unwrap();
    assert!(
        html.contains("https://desk.croydon.example/reports?from=2026-11-30&#38;to=2026-12-06"),
        "{html}"
    );
    let sent = t.store.report_emails(5).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].state.as_str(), sent[0].attempts),
        ("sent", 1),
        "{sent:?}"
    );
    assert!(sent[0].server_reply.is_some());
}

#[tokio::test]
async fn a_send_interrupted_by_a_crash_goes_again_as_the_same_message() {
    let Some((sink, t, weekly, _dir)) = weekly().await else {
        return;
    };
    // The week of 7 December fell due and a try began, then the process
    // died before anything was recorded: the row says `sending`, one try.
    let week = Period::new(date!(2026 - 12 - 07), date!(2026 - 12 - 13)).unwrap();
    let due = datetime!(2026-12-14 08:00 UTC);
    let recipients = vec!["head.of.comms@croydon.example".to_owned()];
    assert!(
        t.store
            .report_email_due(week, due, &recipients, &message_id(week))
            .await
            .unwrap()
    );
    assert_eq!(t.store.report_emails_to_send(due).await.unwrap().len(), 1);

    // The restarted daemon sends it, with the Message-ID it was given.
    let check = weekly
        .check_at(datetime!(2026-12-14 08:05 UTC))
        .await
        .unwrap();
    assert_eq!(check.sent, 1);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].parsed()["message_id"], message_id(week));
    let rows = t.store.report_emails(5).await.unwrap();
    assert_eq!((rows[0].state.as_str(), rows[0].attempts), ("sent", 2));
}
