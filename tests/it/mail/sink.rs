//! The test SMTP server as a child process: `tests/support/smtp_sink.py`
//! started on port 0, ready when it prints its one JSON line (read with a
//! bounded wait, never a sleep), killed when the `Sink` is dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long the sink may take to make its certificates and listen.
const READY_WAIT: Duration = Duration::from_secs(60);

/// The Python with Debian's packages (`PLACEWATCH_PYTHON` to change it; a
/// `python3` earlier on PATH, such as pyenv's, may not see them).
fn python() -> PathBuf {
    std::env::var_os("PLACEWATCH_PYTHON").map_or_else(|| "/usr/bin/python3".into(), PathBuf::from)
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py")
}

/// Why the sink cannot run here, if it cannot (checked once).
fn missing() -> Option<&'static str> {
    static MISSING: OnceLock<Option<String>> = OnceLock::new();
    MISSING
        .get_or_init(|| {
            let out = std::process::Command::new(python())
                .args(["-c", "import aiosmtpd, cryptography"])
                .output();
            match out {
                Ok(o) if o.status.success() => None,
                Ok(o) => Some(format!(
                    "{} cannot import aiosmtpd and cryptography ({})",
                    python().display(),
                    String::from_utf8_lossy(&o.stderr)
                        .lines()
                        .last()
                        .unwrap_or("")
                )),
                Err(e) => Some(format!("{} cannot be run ({e})", python().display())),
            }
        })
        .as_deref()
}

/// `true` when the test should go on; `false` (after saying SKIPPED) when
/// the sink's packages are missing and `PLACEWATCH_MAIL_TESTS=skip`.
/// Otherwise a missing package fails the test, saying what to install.
fn available() -> bool {
    let Some(why) = missing() else {
        return true;
    };
    if std::env::var("PLACEWATCH_MAIL_TESTS").as_deref() == Ok("skip") {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "SKIPPED mail tests: {why}");
        return false;
    }
    panic!(
        "the mail tests need a real SMTP server, but {why}. Install Debian's \
         python3-aiosmtpd and python3-cryptography (apt-get install -y python3-aiosmtpd \
         python3-cryptography), or set PLACEWATCH_MAIL_TESTS=skip to skip them"
    );
}

/// How the sink protects its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SinkTls {
    /// STARTTLS offered and required before MAIL.
    #[default]
    Starttls,
    /// TLS from the first byte.
    Implicit,
    None,
}

/// How the sink refuses an XOAUTH2 token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Xoauth2Style {
    /// 535 at once (Exchange Online).
    #[default]
    Microsoft,
    /// A 334 challenge with a JSON error, then 535 (Gmail).
    Google,
}

/// What the sink should do.
#[derive(Debug, Clone, Default)]
pub struct SinkOptions {
    pub tls: SinkTls,
    /// Require this login (user, password).
    pub login: Option<(&'static str, &'static str)>,
    /// Quote the password it was given in its 535 reply.
    pub echo_password: bool,
    /// Require AUTH XOAUTH2 as this user, with a token listed in
    /// `Sink::tokens_file` (which the test's token endpoint writes).
    pub xoauth2: Option<(&'static str, Xoauth2Style)>,
    /// (fault, n): "reject", "refuse", "drop" or "drop-after-store" for
    /// the next n transactions; "refuse-auth" for the next n AUTH XOAUTH2.
    pub faults: Vec<(&'static str, u32)>,
}

/// A running sink.
pub struct Sink {
    pub port: u16,
    /// The CA that signed its certificate (`None` without TLS).
    pub ca_file: Option<PathBuf>,
    messages: PathBuf,
    dir: tempfile::TempDir,
    _child: Child,
}

/// One message the sink stored.
pub struct Stored {
    /// Exactly what the client sent after DATA.
    pub raw: Vec<u8>,
    /// `mail_from`, `rcpt_tos`, `tls`, `auth_user`.
    pub envelope: Value,
    path: PathBuf,
}

impl Stored {
    /// The message as Python's email package reads it (`--inspect`).
    pub fn parsed(&self) -> Value {
        let out = std::process::Command::new(python())
            .arg(script())
            .arg("--inspect")
            .arg(&self.path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The header section, as text.
    pub fn head(&self) -> String {
        let text = String::from_utf8_lossy(&self.raw);
        text.split("\r\n\r\n").next().unwrap().to_string()
    }
}

impl Sink {
    /// A sink with `options`, or `None` when the tests are to be skipped.
    pub async fn start(options: SinkOptions) -> Option<Sink> {
        if !available() {
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("placewatch-smtp-")
            .tempdir()
            .unwrap();
        let log = std::fs::File::create(dir.path().join("sink.log")).unwrap();
        let mut command = Command::new(python());
        command
            .arg(script())
            .arg("--dir")
            .arg(dir.path())
            .args(["--port", "0", "--tls"])
            .arg(match options.tls {
                SinkTls::Starttls => "starttls",
                SinkTls::Implicit => "implicit",
                SinkTls::None => "none",
            });
        if let Some((user, password)) = options.login {
            command
                .args(["--auth-user", user, "--auth-password-env", "SINK_PASSWORD"])
                .env("SINK_PASSWORD", password);
        }
        if let Some((user, style)) = options.xoauth2 {
            command
                .args(["--xoauth2-user", user, "--xoauth2-tokens"])
                .arg(dir.path().join("tokens"))
                .arg("--xoauth2-style")
                .arg(match style {
                    Xoauth2Style::Microsoft => "microsoft",
                    Xoauth2Style::Google => "google",
                });
        }
        if options.echo_password {
            command.arg("--echo-password-in-refusal");
        }
        for (fault, n) in &options.faults {
            command.arg(format!("--{fault}-next")).arg(n.to_string());
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("starting smtp_sink.py");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(READY_WAIT, lines.next_line()).await;
        let Ok(Ok(Some(line))) = line else {
            let log = std::fs::read_to_string(dir.path().join("sink.log")).unwrap_or_default();
            panic!("smtp_sink.py did not say it was listening ({line:?}); its log:\n{log}");
        };
        let ready: Value = serde_json::from_str(&line).unwrap();
        Some(Sink {
            port: ready["port"].as_u64().unwrap() as u16,
            ca_file: ready["ca_file"].as_str().map(PathBuf::from),
            messages: PathBuf::from(ready["messages"].as_str().unwrap()),
            dir,
            _child: child,
        })
    }

    /// Every message stored so far, in order of arrival. The sink stores a
    /// message before it answers 250, so once `send` has returned, this
    /// has it (no waiting).
    pub fn messages(&self) -> Vec<Stored> {
        let mut envelopes: Vec<PathBuf> = std::fs::read_dir(&self.messages)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        envelopes.sort();
        envelopes
            .into_iter()
            .map(|json| {
                let path = json.with_extension("eml");
                Stored {
                    raw: std::fs::read(&path).unwrap(),
                    envelope: serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap(),
                    path,
                }
            })
            .collect()
    }

    /// Adds faults while the sink runs (read at the next MAIL FROM).
    pub fn control(&self, lines: &str) {
        let tmp = self.dir.path().join("control.tmp");
        std::fs::write(&tmp, lines).unwrap();
        std::fs::rename(tmp, self.dir.path().join("control")).unwrap();
    }

    /// The file of tokens the sink accepts for XOAUTH2, one a line.
    pub fn tokens_file(&self) -> PathBuf {
        self.dir.path().join("tokens")
    }

    /// The sink's directory (its log is `sink.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}
