//! `placewatch demo` as a newcomer runs it, and `placewatch officer` as an
//! administrator does: the real binary, its printed URL and logins, and a
//! clean stop on Ctrl-C (SIGINT).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::desk::{Officer, session_cookie};

fn placewatch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_placewatch"))
}

/// What the demo prints when it is ready.
struct Banner {
    desk: String,
    /// (username, password)
    logins: Vec<(String, String)>,
    mail: String,
    /// Items the seeded officers finished last week.
    finished: u64,
}

/// Reads the demo's stdout until "Press Ctrl-C".
fn read_banner(child: &mut Child) -> Banner {
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let (mut desk, mut logins, mut mail) = (String::new(), Vec::new(), String::new());
    let mut finished = 0;
    let started = Instant::now();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Desk:", url] => desk = url.trim_end_matches('/').to_owned(),
            ["Mail", "catcher:", url, ..] => mail = url.trim_end_matches('/').to_owned(),
            [user, "password", password, _role] => {
                logins.push(((*user).to_owned(), (*password).to_owned()));
            }
            // "Last week: 19 replied through X, 64 on x.com, 33 referred, 56 dismissed, …"
            ["Last", "week:", rest @ ..] => {
                finished = rest
                    .windows(2)
                    .filter(|w| ["replied", "on", "referred,", "dismissed,"].contains(&w[1]))
                    .filter_map(|w| w[0].parse::<u64>().ok())
                    .sum();
            }
            _ if line.starts_with("Press Ctrl-C") => break,
            _ => {}
        }
        assert!(started.elapsed() < Duration::from_secs(60), "demo banner");
    }
    // Keep draining so the demo never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Banner {
        desk,
        logins,
        mail,
        finished,
    }
}

#[tokio::test]
async fn the_demo_prints_a_working_login_and_stops_cleanly_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    // Its log, written to a file as under a service manager.
    let log = dir.path().join("demo.log");
    let mut child = placewatch()
        .args(["demo", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let Banner {
        desk,
        logins,
        mail,
        finished,
    } = read_banner(&mut child);
    // The officers' seeded week: some items were answered, referred or dismissed.
    assert!(finished > 0, "the demo's past week");
    assert!(desk.starts_with("http://127.0.0.1:"), "{desk}");
    let users: Vec<&str> = logins.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(users, ["sam", "priya", "alex", "vic"]);

    let officer = Officer {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: desk.clone(),
        cookie: String::new(),
        csrf: String::new(),
    };
    let (user, password) = &logins[0];
    let r = officer.try_login(user, password).await;
    assert_eq!(r.status(), 303, "the printed login works");
    let officer = Officer {
        cookie: session_cookie(r.headers()).unwrap(),
        ..officer
    };
    // The backlog arrives: the daemon polls the simulator and files items.
    let mut items = 0;
    for _ in 0..100 {
        let html = officer.get("/").await.text().await.unwrap();
        items = html.matches("class=\"item ").count();
        if items > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(items > 0, "the demo's inbox fills");

    // The CLI, pointed at the running demo with the config it wrote.
    let config = dir.path().join("placewatch-demo.toml");
    // One JSON object per item.
    let listed = json_lines(&["triage", "list", "--json"], &config);
    assert!(!listed.is_empty(), "the demo's items, from the CLI");
    assert!(
        listed.iter().all(|item| item["status"].is_string()),
        "{listed:?}"
    );

    // The reference config's two teams, seeded into the demo's store.
    let teams = json_lines(&["teams", "list", "--json"], &config);
    let names: Vec<&str> = teams.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["CleanCo street cleansing", "Streets team"]);
    assert_eq!(teams[0]["members"], serde_json::json!([]));
    assert_eq!(teams[1]["members"], serde_json::json!(["priya", "sam"]));
    assert!(teams.iter().all(|t| t["from_config"] == true), "{teams:?}");

    // A referral's email reaches the demo's mail catcher, whose page lists it.
    let id = listed[0]["id"].to_string();
    let out = placewatch()
        .args(["triage", "refer", &id, "--team", "Streets team"])
        .args([
            "--reason",
            "Please clear it",
            "--officer",
            "sam",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // "PW-000042 to Streets team …": the seeded week made the earlier ones.
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let (reference, _) = stdout
        .split_once(" to Streets team")
        .unwrap_or_else(|| panic!("{stdout}"));
    let subject = format!("{reference} Referral to Streets team");
    let mut page = String::new();
    for _ in 0..300 {
        page = reqwest::get(format!("{mail}/"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if page.contains(&subject) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Listed as `<a href="/N">SUBJECT: …</a>`.
    let (before, _) = page
        .split_once(&format!("\">{subject}"))
        .unwrap_or_else(|| panic!("{subject} in {page}"));
    let n = &before[before.rfind("href=\"/").unwrap() + "href=\"/".len()..];
    // It links to the item in the demo's desk (no public URL is configured:
    // the desk's own loopback address stands in).
    let raw = reqwest::get(format!("{mail}/{n}/raw"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(raw.contains(&format!("{desk}/items/{id}")), "{raw}");
    // The manager's weekly report was due at start: it is there too.
    assert!(
        page.contains("Croydon Council comms report"),
        "the weekly report in {page}"
    );

    let pid = child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        // Generous: the daemon's tasks get 30 s to drain (app::DRAIN_DEADLINE),
        // and a busy machine must not fail this.
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the demo stops within 90 s of Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    // Plain text, not a terminal's colour codes.
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains(" INFO "), "{log}");
    assert!(!log.contains('\u{1b}'), "colour codes in a log file: {log}");
}

#[test]
fn officers_are_managed_from_the_command_line_with_passwords_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("placewatch.toml");
    std::fs::write(
        &config,
        "[council]\nname = \"Croydon Council\"\nhandle = \"yourcroydon\"\n\n\
         [monitor]\nplaces = [\"Croydon\"]\n",
    )
    .unwrap();
    let run = |args: &[&str], stdin: &str| {
        let mut child = placewatch()
            .args(["officer"])
            .args(args)
            .arg("--config")
            .arg(&config)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A command that refuses its arguments exits without reading
        // standard input: the password then meets a closed pipe.
        match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("{e}"),
            _ => {}
        }
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(
        &["add", "jo", "--name", "Jo Bloggs", "--role", "approver"],
        "a long enough password\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "added jo (Jo Bloggs, approver)");

    let (code, _, err) = run(&["add", "kim", "--name", "Kim"], "short\n");
    assert_eq!(code, 2);
    assert!(err.contains("at least 10 characters"), "{err}");
    let (code, _, err) = run(
        &["add", "Bad Name", "--name", "X"],
        "a long enough password\n",
    );
    assert_eq!(code, 2);
    assert!(err.contains("a username is"), "{err}");
    let (code, _, err) = run(
        &["add", "jo", "--name", "Jo Again"],
        "a long enough password\n",
    );
    assert_eq!(code, 1);
    assert!(err.contains("already an officer called \"jo\""), "{err}");

    let (_, out, _) = run(&["list"], "");
    assert!(
        out.contains("jo") && out.contains("approver") && out.contains("active"),
        "{out}"
    );
    let (code, out, _) = run(&["disable", "jo"], "");
    assert_eq!(code, 0);
    assert!(out.contains("jo is disabled"), "{out}");
    let (code, out, _) = run(&["reset-password", "jo"], "another long password\n");
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = run(&["role", "jo", "admin"], "");
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "jo is now admin");
    let (_, out, _) = run(&["list", "--json"], "");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["username"], "jo");
    assert_eq!(list[0]["role"], "admin");
    assert_eq!(list[0]["disabled"], true);
    assert!(!out.contains("argon2"), "no password hash leaves the store");

    // How jo hears of her work: an address, then a daily digest.
    let (code, out, err) = run(&["contact", "jo", "--email", "jo@croydon.gov.uk"], "");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "jo: email jo@croydon.gov.uk, immediately");
    let (code, out, err) = run(
        &[
            "contact",
            "jo",
            "--notify",
            "digest",
            "--digest-at",
            "07:30",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        "jo: email jo@croydon.gov.uk, a daily digest at 07:30"
    );
    let (code, _, err) = run(&["contact", "jo", "--digest-at", "7.30"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a time HH:MM"), "{err}");
    let (code, _, err) = run(&["contact", "jo", "--email", "jo at croydon"], "");
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&["contact", "nobody", "--notify", "none"], "");
    assert_eq!(code, 1);
    assert!(err.contains("no officer called \"nobody\""), "{err}");
}

/// What a `--json` command of the CLI prints against `config`: one JSON
/// object a line. The command must succeed.
fn json_lines(args: &[&str], config: &std::path::Path) -> Vec<serde_json::Value> {
    let out = placewatch()
        .args(args)
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}
