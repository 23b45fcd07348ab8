//! `mail.auth = "xoauth2"`: the sink takes AUTH XOAUTH2 only with a token
//! the loopback token endpoint issued; the real `Mailer` fetches it, keeps
//! it while it is fresh, fetches once more when the server refuses it, and
//! sends nothing when the endpoint refuses the client.

use placewatch::config::{MailAuth, MailOAuth, MailSecurity};
use placewatch::mail::{MailError, MailSecrets, Mailer};
use secrecy::SecretString;

use super::sink::Stored;
use super::token_endpoint::{CLIENT_ID, CLIENT_SECRET, Expect, REFRESH_TOKEN, TokenEndpoint};
use super::*;

const M365_SCOPE: &str = "https://outlook.office365.com/.default";

fn expect(expires_in: u64) -> Expect {
    Expect {
        scope: M365_SCOPE,
        expires_in,
    }
}

async fn sink(style: Xoauth2Style, faults: Vec<(&'static str, u32)>) -> Option<Sink> {
    Sink::start(SinkOptions {
        xoauth2: Some((USER, style)),
        faults,
        ..SinkOptions::default()
    })
    .await
}

/// `[mail]` with `auth = "xoauth2"` against `sink` and `endpoint`; the
/// refresh-token grant when `refresh`.
fn oauth_config(sink: &Sink, endpoint: &TokenEndpoint, refresh: bool) -> MailConfig {
    let mut config = mail_config(sink, MailSecurity::Starttls, true);
    config.auth = MailAuth::Xoauth2(MailOAuth {
        token_url: endpoint.url.parse().unwrap(),
        client_id: CLIENT_ID.into(),
        client_secret_env: "PLACEWATCH_TEST_SMTP_OAUTH_SECRET".into(),
        scope: (!refresh).then(|| M365_SCOPE.to_string()),
        refresh_token_env: refresh.then(|| "PLACEWATCH_TEST_SMTP_REFRESH".to_string()),
    });
    config
}

fn oauth_mailer(config: &MailConfig, secret: &str) -> Mailer {
    let secrets = MailSecrets {
        oauth_client_secret: Some(SecretString::from(secret.to_string())),
        oauth_refresh_token: Some(SecretString::from(REFRESH_TOKEN.to_string())),
        ..MailSecrets::default()
    };
    Mailer::with_secrets(config, &secrets).unwrap()
}

fn bearer(stored: &Stored) -> &str {
    assert_eq!(stored.envelope["auth_mechanism"], "XOAUTH2");
    assert_eq!(stored.envelope["auth_user"], USER);
    assert_eq!(stored.envelope["tls"], true);
    stored.envelope["bearer"].as_str().unwrap()
}

#[tokio::test]
async fn an_email_arrives_signed_in_with_the_token_the_endpoint_issued_and_kept() {
    let Some(sink) = sink(Xoauth2Style::Microsoft, vec![]).await else {
        return;
    };
    let endpoint = TokenEndpoint::start(&sink.tokens_file(), expect(3599)).await;
    let mailer = oauth_mailer(&oauth_config(&sink, &endpoint, false), CLIENT_SECRET);
    let shown = format!("{mailer:?}");
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");

    for n in [1, 2] {
        let (_, email) = referral_email(&[("Streets", "streets@croydon.example")], n);
        let sent = mailer.send(&email).await.unwrap();
        assert!(sent.server_reply.starts_with("250 "), "{sent:?}");
    }
    let issued = endpoint.issued();
    assert_eq!(
        issued.len(),
        1,
        "the fresh token is kept for the second message"
    );
    let stored = sink.messages();
    assert_eq!(stored.len(), 2);
    for m in &stored {
        assert_eq!(bearer(m), issued[0]);
    }
    let requests = endpoint.requests();
    let form = &requests[0];
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["scope"], M365_SCOPE);
    assert_eq!(form["client_id"], CLIENT_ID);
    let shown = format!("{mailer:?}");
    assert!(!shown.contains(&issued[0]), "{shown}");
}

#[tokio::test]
async fn a_token_that_has_expired_is_not_used_again() {
    let Some(sink) = sink(Xoauth2Style::Microsoft, vec![]).await else {
        return;
    };
    // expires_in 0: stale as soon as it is issued.
    let endpoint = TokenEndpoint::start(&sink.tokens_file(), expect(0)).await;
    let mailer = oauth_mailer(&oauth_config(&sink, &endpoint, false), CLIENT_SECRET);
    for n in [1, 2] {
        let (_, email) = referral_email(&[("Streets", "streets@croydon.example")], n);
        mailer.send(&email).await.unwrap();
    }
    let issued = endpoint.issued();
    assert_eq!(issued.len(), 2);
    let bearers: Vec<String> = sink.messages().iter().map(|m| bearer(m).into()).collect();
    assert_eq!(bearers, issued);
}

#[tokio::test]
async fn a_wrong_client_secret_quotes_the_endpoints_answer_and_nothing_is_sent() {
    let Some(sink) = sink(Xoauth2Style::Microsoft, vec![]).await else {
        return;
    };
    let endpoint = TokenEndpoint::start(&sink.tokens_file(), expect(3599)).await;
    let wrong = "not-the-secret-value~123";
    let mailer = oauth_mailer(&oauth_config(&sink, &endpoint, false), wrong);
    let (_, email) = referral_email(&[("Streets", "streets@croydon.example")], 7);
    let e = mailer.send(&email).await.unwrap_err();
    assert!(
        matches!(&e, MailError::Token { temporary: false, grant, .. } if grant == "client_credentials"),
        "{e:?}"
    );
    assert!(e.is_permanent());
    let text = e.to_string();
    assert!(text.contains(&endpoint.url), "{text}");
    assert!(
        text.contains("invalid_client: AADSTS7000215: Invalid client secret provided"),
        "{text}"
    );
    assert!(text.contains(&format!("as {USER}")), "{text}");
    assert!(!text.contains(wrong), "{text}");
    assert!(endpoint.issued().is_empty());
    assert!(sink.messages().is_empty(), "nothing reached the server");
}

#[tokio::test]
async fn a_token_the_server_refuses_is_fetched_again_once() {
    // The first AUTH is refused whatever it carries (535 5.7.3).
    let Some(sink) = sink(Xoauth2Style::Microsoft, vec![("refuse-auth", 1)]).await else {
        return;
    };
    let endpoint = TokenEndpoint::start(&sink.tokens_file(), expect(3599)).await;
    let mailer = oauth_mailer(&oauth_config(&sink, &endpoint, false), CLIENT_SECRET);
    let (_, email) = referral_email(&[("Streets", "streets@croydon.example")], 1);
    mailer.send(&email).await.unwrap();
    let issued = endpoint.issued();
    assert_eq!(issued.len(), 2, "one refetch after the 535");
    let stored = sink.messages();
    assert_eq!(stored.len(), 1);
    assert_eq!(bearer(&stored[0]), issued[1]);

    // Revoked early (the sink no longer takes it): refetched, then sent.
    endpoint.revoke_all();
    let (_, email) = referral_email(&[("Streets", "streets@croydon.example")], 2);
    mailer.send(&email).await.unwrap();
    let issued = endpoint.issued();
    assert_eq!(issued.len(), 3);
    let stored = sink.messages();
    assert_eq!(stored.len(), 2);
    assert_eq!(bearer(&stored[1]), issued[2]);
}

#[tokio::test]
async fn a_second_refusal_is_final_and_says_what_to_check() {
    let Some(sink) = sink(Xoauth2Style::Microsoft, vec![("refuse-auth", 2)]).await else {
        return;
    };
    let endpoint = TokenEndpoint::start(&sink.tokens_file(), expect(3599)).await;
    let mailer = oauth_mailer(&oauth_config(&sink, &endpoint, false), CLIENT_SECRET);
    let (_, email) = referral_email(&[("Streets", "streets@croydon.example")], 1);
    let e = mailer.send(&email).await.unwrap_err();
    assert!(
        matches!(&e, MailError::TokenRefused { code: 535, username, .. } if username == USER),
        "{e:?}"
    );
    assert!(e.is_permanent());
    let text = e.to_string();
    assert!(
        text.contains("535 5.7.3 Authentication unsuccessful"),
        "{text}"
    );
    assert!(text.contains("SMTP.SendAsApp"), "{text}");
    for token in endpoint.issued() {
        assert!(!text.contains(&token), "{text}");
    }
    assert_eq!(endpoint.issued().len(), 2, "one refetch, no more");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn google_style_refresh_token_grant_and_a_challenge_refusal() {
    let Some(sink) = sink(Xoauth2Style::Google, vec![]).await else {
        return;
    };
    let endpoint = TokenEndpoint::start(&sink.tokens_file(), expect(3599)).await;
    let mailer = oauth_mailer(&oauth_config(&sink, &endpoint, true), CLIENT_SECRET);
    let (_, email) = referral_email(&[("Streets", "streets@croydon.example")], 1);
    mailer.send(&email).await.unwrap();
    let form = &endpoint.requests()[0];
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], REFRESH_TOKEN);
    assert!(!form.contains_key("scope"), "{form:?}");

    // Gmail refuses a stale token with a 334 JSON challenge, then 535.
    endpoint.revoke_all();
    let (_, email) = referral_email(&[("Streets", "streets@croydon.example")], 2);
    mailer.send(&email).await.unwrap();
    let issued = endpoint.issued();
    assert_eq!(issued.len(), 2);
    let bearers: Vec<String> = sink.messages().iter().map(|m| bearer(m).into()).collect();
    assert_eq!(bearers, issued);
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_a_temporary_failure() {
    let Some(sink) = sink(Xoauth2Style::Microsoft, vec![]).await else {
        return;
    };
    let endpoint = TokenEndpoint::start(&sink.tokens_file(), expect(3599)).await;
    let mut config = oauth_config(&sink, &endpoint, false);
    // A port nothing listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("http://127.0.0.1:{port}/tenant/oauth2/v2.0/token");
    if let MailAuth::Xoauth2(oauth) = &mut config.auth {
        oauth.token_url = url.parse().unwrap();
    }
    let mailer = oauth_mailer(&config, CLIENT_SECRET);
    let (_, email) = referral_email(&[("Streets", "streets@croydon.example")], 1);
    let e = mailer.send(&email).await.unwrap_err();
    assert!(
        matches!(
            e,
            MailError::Token {
                temporary: true,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.is_temporary());
    assert!(e.to_string().contains(&url), "{e}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn mail_test_signs_in_with_xoauth2_and_says_so() {
    let Some(sink) = sink(Xoauth2Style::Microsoft, vec![]).await else {
        return;
    };
    let endpoint = TokenEndpoint::start(&sink.tokens_file(), expect(3599)).await;
    let path = sink.dir().join("placewatch.toml");
    let ca = sink.ca_file.as_ref().unwrap().display();
    std::fs::write(
        &path,
        format!(
            "[council]\nname = \"Croydon Council\"\nhandle = \"yourcroydon\"\n\n\
             [monitor]\nplaces = [\"Croydon\"]\n\n\
             [mail]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\nusername = \"{USER}\"\n\
             from = \"{FROM}\"\nca_file = \"{ca}\"\nauth = \"xoauth2\"\n\
             oauth_token_url = \"{}\"\noauth_client_id = \"{CLIENT_ID}\"\n\
             oauth_client_secret_env = \"PLACEWATCH_TEST_OAUTH_SECRET\"\n",
            sink.port, endpoint.url
        ),
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_placewatch"))
        .args(["mail", "test", "--to", "ops@croydon.example", "--config"])
        .arg(&path)
        .env("PLACEWATCH_TEST_OAUTH_SECRET", CLIENT_SECRET)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "signing in with XOAUTH2 as {USER}, with an access token from {} \
             (client_credentials grant)",
            endpoint.url
        )),
        "{stdout}"
    );
    assert!(stdout.contains("The server answered: 250 "), "{stdout}");
    let stored = sink.messages();
    assert_eq!(stored.len(), 1);
    assert_eq!(bearer(&stored[0]), endpoint.issued()[0]);
    for text in [&stdout, &stderr] {
        assert!(!text.contains(CLIENT_SECRET), "{text}");
        assert!(!text.contains(&endpoint.issued()[0]), "{text}");
    }

    // Without the secret: a setup error naming the variable and its key.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_placewatch"))
        .args(["mail", "test", "--to", "ops@croydon.example", "--config"])
        .arg(&path)
        .env_remove("PLACEWATCH_TEST_OAUTH_SECRET")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "the environment variable PLACEWATCH_TEST_OAUTH_SECRET (named by \
             mail.oauth_client_secret_env) is not set or is empty"
        ),
        "{stderr}"
    );
}
