//! A server that defers, refuses, hangs up, never answers or turns the
//! login down: each failure classified temporary (the outbox retries) or
//! permanent (it marks the referral failed), naming server and recipient,
//! never the password.

use placewatch::config::MailSecurity;
use placewatch::mail::MailError;
use tokio::net::TcpListener;

use super::*;

const TEAM: &[(&str, &str)] = &[("Streets team", "streets@croydon.example")];

async fn sink_with(faults: Vec<(&'static str, u32)>) -> Option<Sink> {
    Sink::start(SinkOptions {
        faults,
        ..SinkOptions::default()
    })
    .await
}

#[tokio::test]
async fn a_451_is_temporary_and_the_same_message_goes_through_next_time() {
    let Some(sink) = sink_with(vec![("refuse", 1)]).await else {
        return;
    };
    let mailer = mailer(&sink, MailSecurity::Starttls, None);
    let (_, email) = referral_email(TEAM, 1);
    let e = mailer.send(&email).await.unwrap_err();
    assert!(matches!(e, MailError::Deferred { code: 451, .. }), "{e:?}");
    assert!(e.is_temporary());
    assert!(e.to_string().contains("451 4.3.0"), "{e}");
    assert!(sink.messages().is_empty());
    mailer.send(&email).await.unwrap();
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn a_550_for_the_recipient_is_permanent() {
    let Some(sink) = sink_with(vec![("reject", 1)]).await else {
        return;
    };
    let (_, email) = referral_email(TEAM, 2);
    let e = mailer(&sink, MailSecurity::Starttls, None)
        .send(&email)
        .await
        .unwrap_err();
    assert!(matches!(e, MailError::Refused { code: 550, .. }), "{e:?}");
    assert!(e.is_permanent());
    let text = e.to_string();
    assert!(
        text.starts_with("sending to streets@croydon.example through 127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("550 5.1.1"), "{text}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_connection_dropped_in_the_middle_of_the_message_is_temporary() {
    let Some(sink) = sink_with(vec![("drop", 1)]).await else {
        return;
    };
    let mailer = mailer(&sink, MailSecurity::Starttls, None);
    let (_, email) = referral_email(TEAM, 3);
    let e = mailer.send(&email).await.unwrap_err();
    assert!(matches!(e, MailError::Connection { .. }), "{e:?}");
    assert!(e.is_temporary());
    assert!(sink.messages().is_empty(), "half a message is not stored");
    mailer.send(&email).await.unwrap();
    assert_eq!(sink.messages().len(), 1);
}

/// The hazard the outbox must live with: a server that stored the message
/// but whose answer never came looks like any broken connection (temporary),
/// so a retry delivers it twice, with the same Message-ID.
#[tokio::test]
async fn a_connection_lost_after_the_message_was_stored_is_temporary_too() {
    let Some(sink) = sink_with(vec![("drop-after-store", 1)]).await else {
        return;
    };
    let mailer = mailer(&sink, MailSecurity::Starttls, None);
    let (_, email) = referral_email(TEAM, 4);
    let e = mailer.send(&email).await.unwrap_err();
    assert!(e.is_temporary(), "{e:?}");
    mailer.send(&email).await.unwrap();
    let stored = sink.messages();
    assert_eq!(stored.len(), 2);
    let ids: Vec<_> = stored
        .iter()
        .map(|m| m.parsed()["message_id"].clone())
        .collect();
    assert_eq!(ids[0], ids[1], "a resend carries the same Message-ID");
}

#[tokio::test]
async fn faults_can_be_added_while_the_server_runs() {
    let Some(sink) = sink_with(vec![]).await else {
        return;
    };
    let mailer = mailer(&sink, MailSecurity::Starttls, None);
    let (_, email) = referral_email(TEAM, 5);
    mailer.send(&email).await.unwrap();
    sink.control("refuse 1\nreject 1\n");
    let first = mailer.send(&email).await.unwrap_err();
    let second = mailer.send(&email).await.unwrap_err();
    assert!(
        first.is_permanent() && second.is_temporary(),
        "{first:?} {second:?}"
    );
    mailer.send(&email).await.unwrap();
    assert_eq!(sink.messages().len(), 2);
}

#[tokio::test]
async fn a_refused_connection_is_temporary() {
    let Some(sink) = sink_with(vec![]).await else {
        return;
    };
    // A port nothing listens on: bound, then let go.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut config = mail_config(&sink, MailSecurity::Starttls, false);
    config.smtp_port = port;
    let (_, email) = referral_email(TEAM, 6);
    let e = Mailer::from_config(&config, None)
        .unwrap()
        .send(&email)
        .await
        .unwrap_err();
    assert!(matches!(e, MailError::Connection { .. }), "{e:?}");
    assert!(e.is_temporary());
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_temporarily() {
    let Some(sink) = sink_with(vec![]).await else {
        return;
    };
    // Accepts the connection and says nothing, ever.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let (socket, _) = silent.accept().await.unwrap();
        std::future::pending::<()>().await;
        drop(socket);
    });
    let mut config = mail_config(&sink, MailSecurity::Starttls, false);
    config.smtp_port = port;
    config.timeout = std::time::Duration::from_secs(1);
    let (_, email) = referral_email(TEAM, 7);
    let e = Mailer::from_config(&config, None)
        .unwrap()
        .send(&email)
        .await
        .unwrap_err();
    held.abort();
    assert!(
        matches!(e, MailError::Timeout { timeout, .. } if timeout.as_secs() == 1),
        "{e:?}"
    );
    assert!(e.is_temporary());
}

#[tokio::test]
async fn a_wrong_password_is_permanent_and_never_repeated() {
    let options = SinkOptions {
        login: Some((USER, PASSWORD)),
        echo_password: true,
        ..SinkOptions::default()
    };
    let Some(sink) = Sink::start(options).await else {
        return;
    };
    let wrong = "wrong-Tr0ub4dor&3";
    let (_, email) = referral_email(TEAM, 8);
    let e = mailer(&sink, MailSecurity::Starttls, Some(wrong))
        .send(&email)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, MailError::LoginRefused { code: 535, username: Some(u), .. } if u == USER),
        "{e:?}"
    );
    assert!(e.is_permanent());
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(wrong), "{shown}");
    assert!(
        shown.contains("[password]"),
        "the server quoted it, and it was blanked: {shown}"
    );
    assert!(
        shown.contains("the password in PLACEWATCH_TEST_SMTP_PASSWORD, the variable"),
        "{shown}"
    );
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_server_that_wants_a_login_and_gets_none_is_permanent() {
    let options = SinkOptions {
        login: Some((USER, PASSWORD)),
        ..SinkOptions::default()
    };
    let Some(sink) = Sink::start(options).await else {
        return;
    };
    let (_, email) = referral_email(TEAM, 9);
    let e = mailer(&sink, MailSecurity::Starttls, None)
        .send(&email)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            MailError::LoginRefused {
                code: 530,
                username: None,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("nobody (no mail.username)"), "{e}");
}
