//! Referring an item to a team from the desk: the officer chooses a team
//! and says why; the running daemon emails the team once, through a real
//! SMTP server (`tests/support/smtp_sink.py`), and the item shows what
//! became of it — sent with the server's reply, or refused with the reason
//! and a way to send it again.

use std::time::Duration;

use reqwest::StatusCode;

use super::{DeskTest, flash};
use crate::engine::engines;
use crate::mail::{Sink, SinkOptions};
use placewatch::store::Engine;
use rstest_reuse::apply;

/// How long the daemon's sender (a pass a second) may take to act.
const SEND_WAIT: Duration = Duration::from_secs(60);

/// A desk whose `[mail]` is `sink`, with an internal team and a contractor.
async fn desk_with_mail(sink: &Sink, engine: Engine) -> Option<DeskTest> {
    let extra = format!(
        r#"
[mail]
smtp_host = "127.0.0.1"
smtp_port = {port}
security = "starttls"
from = "comms-desk@croydon.example"
from_name = "Croydon Council comms desk"
ca_file = "{ca}"

[[templates.reply]]
name = "holding"
text = "Thanks {{author}}, we've passed this to {{team}}, ref {{reference}}."

[[teams]]
name = "Streets"
emails = ["streets@croydon.example"]
members = ["sam"]

[[teams]]
name = "CleanCo street cleansing"
emails = ["reports@cleanco.example", "ops@cleanco.example"]
"#,
        port = sink.port,
        ca = sink.ca_file.as_ref().unwrap().display(),
    );
    DeskTest::on_with(engine, &extra).await
}

/// Waits until the referral's item page says `what`, returning the page.
async fn item_page_says(officer: &super::Officer, item: i64, what: &str) -> String {
    let deadline = tokio::time::Instant::now() + SEND_WAIT;
    loop {
        let html = officer
            .get(&format!("/items/{item}"))
            .await
            .text()
            .await
            .unwrap();
        if html.contains(what) {
            return html;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the item page never said {what:?}:\n{html}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[apply(engines)]
#[tokio::test]
async fn a_referral_emails_the_team_once_with_its_reference(#[case] engine: Engine) {
    let Some(sink) = Sink::start(SinkOptions::default()).await else {
        return;
    };
    let Some(t) = desk_with_mail(&sink, engine).await else {
        return;
    };
    let item = t
        .arrive(
            "fly_tip_fred",
            "Croydon: bags dumped on Cherry Orchard Road <script>alert(1)</script>\r\nBcc: evil@example.com",
        )
        .await;
    let sam = t.login("sam").await;

    // The form offers the teams, saying where each one's email goes.
    let html = sam
        .get(&format!("/items/{}", item.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<option value=\"Streets\">Streets (streets@croydon.example)</option>"),
        "{html}"
    );
    assert!(html.contains("<option value=\"CleanCo street cleansing\">CleanCo street cleansing (2 addresses)</option>"), "{html}");

    let r = sam
        .post(
            &format!("/items/{}/refer", item.id),
            &[
                ("team", "CleanCo street cleansing"),
                (
                    "reason",
                    "Bags on the pavement since Monday & blocking the path",
                ),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        flash(&r),
        format!(
            "Item {}: referred to CleanCo street cleansing as PW-000001; the email is on its way.",
            item.id
        )
    );
    let html = item_page_says(
        &sam,
        item.id,
        "Emailed to reports@cleanco.example, ops@cleanco.example",
    )
    .await;
    assert!(html.contains("The mail server said: 250"), "{html}");
    assert!(
        html.contains("referred it to CleanCo street cleansing as PW-000001"),
        "{html}"
    );

    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "one email for one referral");
    let message = messages[0].parsed();
    let subject = message["subject"].as_str().unwrap();
    assert!(
        subject.starts_with("PW-000001 Referral to CleanCo street cleansing: Croydon – "),
        "{subject}"
    );
    assert_eq!(
        messages[0].envelope["rcpt_tos"],
        serde_json::json!(["reports@cleanco.example", "ops@cleanco.example"])
    );
    let head = messages[0].head();
    assert!(!head.to_ascii_lowercase().contains("\nbcc:"), "{head}");
    assert_eq!(message["bcc"], serde_json::Value::Null);
    let parts = message["parts"].as_array().unwrap();
    let (text_part, html_part) = (
        parts[0]["content"].as_str().unwrap(),
        parts[1]["content"].as_str().unwrap(),
    );
    assert!(
        html_part.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html_part}"
    );
    assert!(!html_part.contains("<script>"), "{html_part}");
    assert!(
        html_part.contains("Bags on the pavement since Monday &#38; blocking the path"),
        "{html_part}"
    );
    assert!(text_part.contains(&format!(
        "https://x.com/fly_tip_fred/status/{}",
        item.post.id
    )));

    // Recorded as sent once, with the Message-ID the mailbox saw.
    let referral = &t.store.referrals_of(item.id).await.unwrap()[0];
    assert_eq!(referral.attempts, 1);
    assert_eq!(message["message_id"].as_str().unwrap(), referral.message_id);
    assert_eq!(
        t.store.item(item.id).await.unwrap().status.as_str(),
        "referred"
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_refused_referral_shows_why_and_can_be_sent_again(#[case] engine: Engine) {
    let Some(sink) = Sink::start(SinkOptions {
        faults: vec![("reject", 1)],
        ..SinkOptions::default()
    })
    .await
    else {
        return;
    };
    let Some(t) = desk_with_mail(&sink, engine).await else {
        return;
    };
    let item = t.arrive("resident", "Croydon street light out").await;
    let sam = t.login("sam").await;
    let r = sam
        .post(
            &format!("/items/{}/refer", item.id),
            &[
                ("team", "Streets"),
                ("reason", "Light out outside number 4"),
                ("tell_resident", "1"),
            ],
        )
        .await;
    assert_eq!(
        super::location(&r).split_once("&done=").map(|(to, _)| to),
        Some(format!("/items/{}?template=holding", item.id).as_str())
    );
    assert!(flash(&r).ends_with("Your reply to the resident is ready below."));
    let html = item_page_says(&sam, item.id, "Not sent to streets@croydon.example").await;
    // Told to write to the resident next: the holding reply, reference in.
    let page = sam
        .get(&format!("/items/{}?template=holding", item.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(", ref PW-000001."), "{page}");
    assert!(html.contains("550"), "the server's reason is shown: {html}");
    assert!(html.contains("Send PW-000001 again"), "{html}");
    let status = sam.get("/status").await.text().await.unwrap();
    assert!(status.contains("1 failed"), "{status}");
    // The referring officer is told, with the reason.
    let notes = sam.get("/notifications").await.text().await.unwrap();
    assert!(
        notes.contains("Referral PW-000001 of item") && notes.contains("550"),
        "{notes}"
    );

    let referral = t.store.referrals_of(item.id).await.unwrap().remove(0);
    let r = sam
        .post(&format!("/referrals/{}/retry", referral.id), &[])
        .await;
    assert_eq!(flash(&r), "PW-000001 to Streets: queued to be sent again.");
    item_page_says(&sam, item.id, "Emailed to streets@croydon.example").await;
    assert_eq!(sink.messages().len(), 1, "the refusal stored nothing");

    // A viewer cannot refer; a missing team or reason is refused with words.
    let vic = t.login("vic").await;
    let r = vic
        .post(
            &format!("/items/{}/refer", item.id),
            &[("team", "Streets"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let other = t.arrive("resident", "Croydon bins missed").await;
    let r = sam
        .post(
            &format!("/items/{}/refer", other.id),
            &[("team", "Streets"), ("reason", " ")],
        )
        .await;
    assert_eq!(
        flash(&r),
        format!(
            "Item {} not referred: say why the team should act.",
            other.id
        )
    );
    let r = sam
        .post(
            &format!("/items/{}/refer", other.id),
            &[("team", "Parks"), ("reason", "Trees")],
        )
        .await;
    assert_eq!(
        flash(&r),
        format!(
            "Item {} not referred: there is no team \"Parks\".",
            other.id
        )
    );
    assert!(t.store.referrals_of(other.id).await.unwrap().is_empty());
    t.stop().await;
}
