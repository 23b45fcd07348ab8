//! How `placewatch run` logs, to standard error for journald: one JSON
//! object a line with `[log] format = "json"` (what a log collector reads).
//! The text format's lack of colour codes off a terminal is checked on the
//! demo's log (`demo::the_demo_prints_a_working_login_and_stops_cleanly_on_ctrl_c`).

use std::process::{Command, Stdio};

use serde_json::Value;

#[test]
fn the_daemon_logs_json_lines_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("placewatch.toml");
    std::fs::write(
        &config,
        "[council]\nname = \"Croydon Council\"\nhandle = \"yourcroydon\"\n\
         [monitor]\nplaces = [\"Croydon\"]\n\
         [log]\nformat = \"json\"\n\
         [desk]\nmonitoring_listen = \"\"\n",
    )
    .unwrap();
    // No app-only credentials: it logs what it finds, then stops with an
    // error that says what to set.
    let out = Command::new(env!("CARGO_BIN_EXE_placewatch"))
        .args(["run", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .env("RUST_LOG", "info")
        .env_remove("PLACEWATCH_BEARER_TOKEN")
        .env_remove("PLACEWATCH_API_KEY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let (logged, last) = stderr
        .trim_end()
        .rsplit_once('\n')
        .expect("log lines and the error");
    assert!(
        last.starts_with("error: no app-only credentials"),
        "{stderr}"
    );
    let events: Vec<Value> = logged
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(
        events
            .iter()
            .all(|e| e["timestamp"].is_string() && e["level"].is_string()),
        "{stderr}"
    );
    assert!(
        events.iter().any(|e| e["level"] == "WARN"
            && e["message"]
                .as_str()
                .is_some_and(|m| m.contains("no [mail] settings"))),
        "{stderr}"
    );
}
