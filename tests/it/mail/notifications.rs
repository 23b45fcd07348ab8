//! Notification emails through the real SMTP sink: an officer who wants
//! them at once gets one email per notification, one who takes a digest
//! one email at her digest time listing them; each notification is emailed
//! once, a send the server took but the daemon never recorded goes again
//! with the same Message-ID, and officers without an address or with
//! `none` get nothing.

use std::sync::Arc;

use placewatch::config::MailSecurity;
use placewatch::domain::officer::Role;
use placewatch::domain::team::{DigestAt, Notify};
use placewatch::notify::{Delivery, Round};
use placewatch::store::{NewOfficer, OfficerContact, Store};
use serde_json::json;
use time::OffsetDateTime;

use super::*;
use crate::store::{TestStore, batch, matched, post};

async fn officer(store: &Store, username: &str, email: Option<&str>, notify: Notify) {
    let name = format!("{username} Tester");
    let new = NewOfficer {
        username,
        display_name: &name,
        role: Role::Officer,
        password_hash: "$argon2id$fake",
    };
    store.add_officer(&new, "admin").await.unwrap();
    let contact = OfficerContact {
        email: email.map(str::to_owned),
        notify,
        digest_at: DigestAt::parse("08:00").unwrap(),
    };
    store
        .set_officer_contact(username, &contact, "admin")
        .await
        .unwrap();
}

/// A store with officers of every preference and one item.
async fn setup() -> (TestStore, i64) {
    let t = TestStore::open().await;
    officer(
        &t.store,
        "sam",
        Some("sam@croydon.example"),
        Notify::Immediately,
    )
    .await;
    officer(
        &t.store,
        "priya",
        Some("priya@croydon.example"),
        Notify::Digest,
    )
    .await;
    officer(&t.store, "alex", Some("alex@croydon.example"), Notify::None).await;
    officer(&t.store, "vic", None, Notify::Immediately).await;
    officer(&t.store, "kit", None, Notify::Digest).await;
    let c = batch("m", vec![matched(post(1, "Croydon bins"), &["Croydon"])]);
    let item = t.store.record_pages(&c).await.unwrap().new_items[0];
    (t, item)
}

fn delivery(t: &TestStore, sink: &Sink) -> Delivery {
    Delivery {
        store: t.store.clone(),
        mailer: Arc::new(mailer(sink, MailSecurity::None, None)),
        council: "Croydon Council".into(),
        desk_url: Some("https://desk.croydon.example/".parse().unwrap()),
    }
}

fn sink_options() -> SinkOptions {
    SinkOptions {
        tls: SinkTls::None,
        ..SinkOptions::default()
    }
}

#[tokio::test]
async fn immediate_and_digest_emails_go_once_each_to_those_who_want_them() {
    let Some(sink) = Sink::start(sink_options()).await else {
        return;
    };
    let (t, item) = setup().await;
    t.store
        .add_note(
            item,
            "kit",
            "@sam @priya @alex @vic: <script>alert(1)</script> bins again",
        )
        .await
        .unwrap();
    let d = delivery(&t, &sink);
    let now = OffsetDateTime::now_utc();

    let round = d.run_once(now).await.unwrap();
    assert_eq!(
        round,
        Round {
            sent: 2,
            ..Round::default()
        },
        "sam at once, priya's digest (her first, due since her last 08:00)"
    );
    let stored = sink.messages();
    assert_eq!(stored.len(), 2);
    let mut by_to = std::collections::BTreeMap::new();
    for m in &stored {
        by_to.insert(
            m.envelope["rcpt_tos"][0].as_str().unwrap().to_owned(),
            m.parsed(),
        );
    }
    let sam = &by_to["sam@croydon.example"];
    let sams = t.store.notifications("sam", 10).await.unwrap();
    assert_eq!(
        sam["message_id"],
        format!("<notification.{}@placewatch.invalid>", sams[0].id)
    );
    assert_eq!(
        sam["to"],
        json!([{"display_name": "sam Tester", "addr_spec": "sam@croydon.example"}])
    );
    let subject = sam["subject"].as_str().unwrap();
    assert!(
        subject.starts_with(&format!(
            "Mentioned: kit Tester mentioned you in a note on item {item}"
        )),
        "{subject}"
    );
    let parts = sam["parts"].as_array().unwrap();
    let html = parts[1]["content"].as_str().unwrap();
    assert!(html.contains("&#60;script&#62;"), "{html}");
    assert!(!html.contains("<script>"));
    assert!(html.contains(&format!(
        "https://desk.croydon.example/notifications/{}",
        sams[0].id
    )));

    let priya = &by_to["priya@croydon.example"];
    assert_eq!(
        priya["subject"],
        "Your placewatch digest: 1 unread notification"
    );
    assert!(
        priya["message_id"]
            .as_str()
            .unwrap()
            .starts_with("<digest."),
        "{priya:#}"
    );
    let text = priya["parts"][0]["content"].as_str().unwrap();
    assert!(text.contains("Your daily digest"), "{text}");
    assert!(
        text.contains("Mentioned: kit Tester mentioned you"),
        "{text}"
    );

    // Nothing goes twice; alex (none), vic and kit (no address) get nothing.
    assert_eq!(d.run_once(now).await.unwrap(), Round::default());
    assert_eq!(sink.messages().len(), 2);
    let sams = t.store.notifications("sam", 10).await.unwrap();
    assert!(sams[0].emailed_at.is_some());
    for nobody in ["alex", "vic"] {
        let theirs = t.store.notifications(nobody, 10).await.unwrap();
        assert_eq!(theirs.len(), 1, "{nobody} is told in the desk");
        assert!(theirs[0].emailed_at.is_none(), "{nobody} is not emailed");
    }

    // A new mention: sam at once; priya waits for tomorrow's digest.
    t.store
        .add_note(item, "kit", "@priya @sam once more")
        .await
        .unwrap();
    let round = d.run_once(now).await.unwrap();
    assert_eq!(round.sent, 1, "sam's");
    assert_eq!(sink.messages().len(), 3);
    let tomorrow = now + time::Duration::DAY;
    let round = d.run_once(tomorrow).await.unwrap();
    assert_eq!(round.sent, 1, "priya's next digest");
    let last = sink.messages().pop().unwrap().parsed();
    assert_eq!(
        last["subject"],
        "Your placewatch digest: 1 unread notification"
    );
    assert!(
        last["parts"][0]["content"]
            .as_str()
            .unwrap()
            .contains("once more")
    );
    assert_eq!(d.run_once(tomorrow).await.unwrap(), Round::default());
    assert_eq!(sink.messages().len(), 4);
}

#[tokio::test]
async fn a_send_the_server_took_but_never_confirmed_goes_again_with_the_same_message_id() {
    let options = SinkOptions {
        faults: vec![("drop-after-store", 1)],
        ..sink_options()
    };
    let Some(sink) = Sink::start(options).await else {
        return;
    };
    let (t, item) = setup().await;
    t.store.add_note(item, "kit", "@sam look").await.unwrap();
    let d = delivery(&t, &sink);
    let now = OffsetDateTime::now_utc();
    let round = d.run_once(now).await.unwrap();
    assert_eq!(round.deferred, 1, "{round:?}");
    assert!(
        t.store.notifications("sam", 1).await.unwrap()[0]
            .emailed_at
            .is_none()
    );
    let round = d.run_once(now).await.unwrap();
    assert_eq!(round.sent, 1, "{round:?}");
    let stored = sink.messages();
    assert_eq!(stored.len(), 2, "stored twice by the server");
    let ids: Vec<_> = stored
        .iter()
        .map(|m| m.parsed()["message_id"].clone())
        .collect();
    assert_eq!(ids[0], ids[1], "with the same Message-ID");
    assert_eq!(d.run_once(now).await.unwrap(), Round::default());
}

#[tokio::test]
async fn a_notification_read_in_the_desk_is_not_emailed() {
    let Some(sink) = Sink::start(sink_options()).await else {
        return;
    };
    let (t, item) = setup().await;
    t.store
        .add_note(item, "kit", "@sam @priya look")
        .await
        .unwrap();
    for who in ["sam", "priya"] {
        t.store
            .mark_read(who, placewatch::store::Which::All)
            .await
            .unwrap();
    }
    let d = delivery(&t, &sink);
    assert_eq!(
        d.run_once(OffsetDateTime::now_utc()).await.unwrap(),
        Round::default()
    );
    assert!(sink.messages().is_empty());
}
