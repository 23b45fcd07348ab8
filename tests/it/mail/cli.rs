//! `placewatch mail test` and `placewatch check-config` with `[mail]`, run
//! as the administrator would run them.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::json;
use tokio::process::Command;

use super::*;

const PASSWORD_VAR: &str = "PLACEWATCH_TEST_SMTP_PASSWORD";

/// A config file with `[mail]` pointing at `sink` (STARTTLS and a login).
fn config_file(dir: &Path, sink: &Sink) -> PathBuf {
    let path = dir.join("placewatch.toml");
    let ca = sink.ca_file.as_ref().unwrap().display();
    std::fs::write(
        &path,
        format!(
            "[council]\nname = \"Croydon Council\"\nhandle = \"yourcroydon\"\n\n\
             [monitor]\nplaces = [\"Croydon\"]\n\n\
             [mail]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\nusername = \"{USER}\"\n\
             password_env = \"{PASSWORD_VAR}\"\nfrom = \"{FROM}\"\nca_file = \"{ca}\"\n",
            sink.port
        ),
    )
    .unwrap();
    path
}

async fn placewatch(args: &[&str], password: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_placewatch"));
    command.args(args).env_remove(PASSWORD_VAR);
    if let Some(p) = password {
        command.env(PASSWORD_VAR, p);
    }
    command.output().await.unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn login_sink() -> Option<Sink> {
    Sink::start(SinkOptions {
        login: Some((USER, PASSWORD)),
        echo_password: true,
        ..SinkOptions::default()
    })
    .await
}

#[tokio::test]
async fn mail_test_sends_one_message_and_prints_the_servers_reply() {
    let Some(sink) = login_sink().await else {
        return;
    };
    let config = config_file(sink.dir(), &sink);
    let config = config.to_str().unwrap();
    let out = placewatch(
        &[
            "mail",
            "test",
            "--to",
            "ops@croydon.example",
            "--config",
            config,
        ],
        Some(PASSWORD),
    )
    .await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("The server answered: 250 2.0.0 OK: queued as placewatch-sink"),
        "{stdout}"
    );
    assert!(stdout.contains("Message-ID: <placewatch-test."), "{stdout}");
    let stored = sink.messages();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].envelope["rcpt_tos"],
        json!(["ops@croydon.example"])
    );
    assert_eq!(stored[0].envelope["tls"], json!(true));
    let parsed = stored[0].parsed();
    assert_eq!(
        parsed["subject"],
        "placewatch test message from the Croydon Council comms desk"
    );
    assert_eq!(
        parsed["from"],
        json!([{"display_name": "Croydon Council comms desk", "addr_spec": FROM}])
    );
}

#[tokio::test]
async fn mail_test_with_a_wrong_password_fails_permanently_without_showing_it() {
    let Some(sink) = login_sink().await else {
        return;
    };
    let config = config_file(sink.dir(), &sink);
    let config = config.to_str().unwrap();
    let wrong = "not-the-Password-42";
    let args = [
        "mail",
        "test",
        "--to",
        "ops@croydon.example",
        "--config",
        config,
    ];
    let out = placewatch(&args, Some(wrong)).await;
    assert_eq!(out.status.code(), Some(1));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("a permanent failure"), "{all}");
    assert!(all.contains("535 5.7.8"), "{all}");
    assert!(!all.contains(wrong), "{all}");

    let out = placewatch(&args, None).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("the environment variable {PASSWORD_VAR}")),
        "{stderr}"
    );
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn check_config_shows_the_mail_section_and_mail_test_needs_one() {
    let Some(sink) = login_sink().await else {
        return;
    };
    let config = config_file(sink.dir(), &sink);
    let out = placewatch(
        &["check-config", "--config", config.to_str().unwrap()],
        Some(PASSWORD),
    )
    .await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("\n[mail]\nsmtp_host = \"127.0.0.1\"\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("password_env = \"{PASSWORD_VAR}\"  # set\n")),
        "{stdout}"
    );
    assert!(!stdout.contains(PASSWORD), "{stdout}");

    let bare = sink.dir().join("bare.toml");
    std::fs::write(
        &bare,
        "[council]\nname = \"Croydon Council\"\nhandle = \"yourcroydon\"\n\
         [monitor]\nplaces = [\"Croydon\"]\n",
    )
    .unwrap();
    let args = ["mail", "test", "--to", "ops@croydon.example", "--config"];
    let out = placewatch(&[&args[..], &[bare.to_str().unwrap()]].concat(), None).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("has no [mail] section, so email is off"));
}
