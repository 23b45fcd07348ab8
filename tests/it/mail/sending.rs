//! Messages that arrive: through STARTTLS with a login, implicit TLS and
//! plain SMTP to loopback, read back from the server's store.

use placewatch::config::MailSecurity;
use placewatch::mail::MailError;
use serde_json::{Value, json};

use super::*;

fn texts(parsed: &Value) -> (String, String) {
    let parts = parsed["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2, "{parsed:#}");
    assert_eq!(parts[0]["content_type"], "text/plain");
    assert_eq!(parts[1]["content_type"], "text/html");
    let text = |p: &Value| p["content"].as_str().unwrap().replace("\r\n", "\n");
    (text(&parts[0]), text(&parts[1]))
}

#[tokio::test]
async fn a_referral_arrives_through_starttls_with_everything_the_team_needs() {
    let options = SinkOptions {
        login: Some((USER, PASSWORD)),
        ..SinkOptions::default()
    };
    let Some(sink) = Sink::start(options).await else {
        return;
    };
    let mailer = mailer(&sink, MailSecurity::Starttls, Some(PASSWORD));
    let to = [
        ("Tîm Strydoedd \u{202E}", "streets@croydon.example"),
        ("Clean & Co (contractor)", "ops@cleanco.example"),
    ];
    let (referral, email) = referral_email(&to, 123);
    let sent = mailer.send(&email).await.unwrap();
    assert!(
        sent.server_reply.starts_with("250 "),
        "{}",
        sent.server_reply
    );
    assert_eq!(sent.message_id.as_str(), "<PW-000123.1@placewatch.invalid>");

    let stored = sink.messages();
    assert_eq!(stored.len(), 1);
    let m = &stored[0];
    assert_eq!(
        m.envelope,
        json!({
            "mail_from": FROM,
            "rcpt_tos": ["streets@croydon.example", "ops@cleanco.example"],
            "mail_options": m.envelope["mail_options"],
            "tls": true,
            "auth_user": USER,
        })
    );
    let parsed = m.parsed();
    assert_eq!(parsed["defects"], json!([]), "{parsed:#}");
    assert_eq!(
        parsed["from"],
        json!([{"display_name": "Croydon Council comms desk", "addr_spec": FROM}])
    );
    assert_eq!(
        parsed["to"],
        json!([
            {"display_name": "Tîm Strydoedd", "addr_spec": "streets@croydon.example"},
            {"display_name": "Clean & Co (contractor)", "addr_spec": "ops@cleanco.example"},
        ]),
        "the non-ASCII name decodes back, without its override"
    );
    assert_eq!(
        parsed["reply_to"],
        json!([{"display_name": "Priya Shah", "addr_spec": "priya@croydon.example"}])
    );
    let subject = parsed["subject"].as_str().unwrap();
    assert!(
        subject.starts_with(
            "PW-000123 Referral to Streets team: Cherry Orchard Road and East Croydon"
        ),
        "{subject}"
    );
    assert_eq!(parsed["message_id"], "<PW-000123.1@placewatch.invalid>");
    assert_eq!(parsed["content_type"], "multipart/alternative");
    assert_eq!(parsed["bcc"], Value::Null);

    let (text, html) = texts(&parsed);
    // The post, its override and zero-width characters included, as written
    // (the line break inside it as the plain part's own line ends).
    assert!(text.contains(&HOSTILE_POST.replace("\r\n", "\n")), "{text}");
    assert!(text.contains(&referral.reason), "{text}");
    assert!(text.contains("In the desk: https://desk.croydon.example/items/42\n"));
    assert!(text.contains("On X:        https://x.com/sian_llyr/status/1790000000000000123\n"));
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"),
        "escaped: {html}"
    );
    assert!(
        html.contains("<bdi>Siân Llŷr Bcc: evil@example.com</bdi>"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://desk.croydon.example/items/42\""),
        "{html}"
    );
}

#[tokio::test]
async fn hostile_names_and_text_add_no_header_and_no_recipient() {
    let Some(sink) = Sink::start(SinkOptions::default()).await else {
        return;
    };
    let mailer = mailer(&sink, MailSecurity::Starttls, None);
    let to = [("x\r\nBcc: evil@example.com", "streets@croydon.example")];
    let (_, email) = referral_email(&to, 7);
    mailer.send(&email).await.unwrap();
    let stored = sink.messages();
    let m = &stored[0];
    assert_eq!(m.envelope["rcpt_tos"], json!(["streets@croydon.example"]));
    let head = m.head();
    assert!(head.is_ascii(), "non-ASCII only as encoded words: {head}");
    assert!(head.contains("=?utf-8?"), "{head}");
    for line in head.lines() {
        assert!(!line.to_ascii_lowercase().starts_with("bcc"), "{head}");
    }
    let parsed = m.parsed();
    let names: Vec<&str> = parsed["header_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        !names.iter().any(|n| n.eq_ignore_ascii_case("bcc")),
        "{names:?}"
    );
    assert_eq!(names.iter().filter(|n| **n == "To").count(), 1, "{names:?}");
    assert_eq!(
        parsed["to"],
        json!([{"display_name": "x Bcc: evil@example.com", "addr_spec": "streets@croydon.example"}])
    );
}

#[tokio::test]
async fn implicit_tls_and_plain_smtp_to_a_local_relay_also_deliver() {
    for (tls, security, encrypted) in [
        (SinkTls::Implicit, MailSecurity::Tls, true),
        (SinkTls::None, MailSecurity::None, false),
    ] {
        let options = SinkOptions {
            tls,
            ..SinkOptions::default()
        };
        let Some(sink) = Sink::start(options).await else {
            return;
        };
        let (_, email) = referral_email(&[("Streets team", "streets@croydon.example")], 9);
        let sent = mailer(&sink, security, None).send(&email).await.unwrap();
        assert!(sent.server_reply.starts_with("250"), "{security:?}");
        let stored = sink.messages();
        assert_eq!(stored.len(), 1, "{security:?}");
        assert_eq!(stored[0].envelope["tls"], json!(encrypted), "{security:?}");
    }
}

#[tokio::test]
async fn starttls_is_required_so_a_server_without_it_gets_nothing() {
    let options = SinkOptions {
        tls: SinkTls::None,
        ..SinkOptions::default()
    };
    let Some(sink) = Sink::start(options).await else {
        return;
    };
    let (_, email) = referral_email(&[("Streets team", "streets@croydon.example")], 10);
    let e = mailer(&sink, MailSecurity::Starttls, Some(PASSWORD))
        .send(&email)
        .await
        .unwrap_err();
    assert!(matches!(e, MailError::Tls { .. }), "{e:?}");
    assert!(e.is_permanent());
    assert!(e.to_string().contains("STARTTLS"), "{e}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_certificate_placewatch_does_not_trust_is_refused_before_anything_is_sent() {
    let Some(sink) = Sink::start(SinkOptions::default()).await else {
        return;
    };
    let mut config = mail_config(&sink, MailSecurity::Starttls, false);
    config.ca_file = None;
    let mailer = Mailer::from_config(&config, None).unwrap();
    let (_, email) = referral_email(&[("Streets team", "streets@croydon.example")], 11);
    let e = mailer.send(&email).await.unwrap_err();
    assert!(matches!(e, MailError::Tls { .. }), "{e:?}");
    assert!(e.is_permanent(), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("127.0.0.1:") && text.contains("streets@croydon.example"),
        "{text}"
    );
    assert!(sink.messages().is_empty());
}
