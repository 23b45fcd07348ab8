//! The demo's mail catcher: a loopback SMTP server that keeps every message
//! it is given (nothing is relayed anywhere), and a small web page listing
//! them, so `placewatch demo` shows a referral email without any mail
//! settings. The desk sends to it through the same `[mail]` path as to
//! Microsoft 365 (`security = "none"`, allowed on loopback only).
//!
//! The SMTP side speaks what a submission client needs (EHLO/HELO, MAIL,
//! RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT), without TLS or AUTH;
//! messages are written as `NNNNNN.eml` (to a temporary name, then renamed)
//! in the catcher's directory. The page parses them with `mail-parser` and
//! shows the headers and the plain-text part escaped; the HTML part is
//! served on its own with a sandboxing Content-Security-Policy.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use askama::Template;
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use mail_parser::MessageParser;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The largest message the catcher takes (a referral is a few kilobytes).
const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
/// The longest command line it reads (RFC 5321 allows 512).
const MAX_LINE_BYTES: usize = 4096;

/// A running mail catcher.
pub struct Mailbox {
    /// Where the SMTP server listens (`[mail] smtp_host`/`smtp_port`).
    pub smtp: SocketAddr,
    /// Where the page listing the messages is served.
    pub web: SocketAddr,
    tasks: TaskTracker,
}

/// What both halves share: the directory and the next message's number.
struct Shelf {
    dir: PathBuf,
    next: AtomicU64,
}

impl Shelf {
    /// Keeps a message, as `NNNNNN.eml`; its number.
    fn keep(&self, data: &[u8]) -> std::io::Result<u64> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let tmp = self.dir.join(format!(".{n:06}.tmp"));
        std::fs::write(&tmp, data)?;
        std::fs::rename(&tmp, self.dir.join(format!("{n:06}.eml")))?;
        Ok(n)
    }

    /// The numbers of the messages kept, newest first.
    fn numbers(&self) -> Vec<u64> {
        let mut numbers: Vec<u64> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                name.strip_suffix(".eml")?.parse().ok()
            })
            .collect();
        numbers.sort_unstable_by(|a, b| b.cmp(a));
        numbers
    }

    fn read(&self, n: u64) -> Option<Vec<u8>> {
        std::fs::read(self.dir.join(format!("{n:06}.eml"))).ok()
    }
}

impl Mailbox {
    /// Starts both servers on ephemeral loopback ports, keeping messages in
    /// `dir` (created if missing; messages already there are listed too),
    /// until `shutdown`.
    pub async fn start(dir: &Path, shutdown: CancellationToken) -> anyhow::Result<Mailbox> {
        crate::files::private_dir(dir)
            .with_context(|| format!("creating the mail catcher's {}", dir.display()))?;
        let loopback: SocketAddr = "127.0.0.1:0".parse().expect("an address");
        let smtp_listener = TcpListener::bind(loopback).await?;
        let web_listener = TcpListener::bind(loopback).await?;
        let (smtp, web) = (smtp_listener.local_addr()?, web_listener.local_addr()?);
        let shelf = Arc::new(Shelf {
            dir: dir.to_owned(),
            next: AtomicU64::new(0),
        });
        let first = shelf.numbers().first().map_or(1, |n| n + 1);
        shelf.next.store(first, Ordering::SeqCst);

        let tasks = TaskTracker::new();
        let (stop, kept, sessions) = (shutdown.clone(), shelf.clone(), tasks.clone());
        tasks.spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = stop.cancelled() => return,
                    accepted = smtp_listener.accept() => accepted,
                };
                let Ok((stream, _)) = accepted else { continue };
                let shelf = kept.clone();
                sessions.spawn(async move {
                    if let Err(e) = session(stream, &shelf).await {
                        tracing::debug!(error = %e, "mail catcher session ended");
                    }
                });
            }
        });
        let app = Router::new()
            .route("/", get(list))
            .route("/{n}", get(message))
            .route("/{n}/html", get(html_part))
            .route("/{n}/raw", get(raw))
            .with_state(shelf);
        tasks.spawn(async move {
            let serve = axum::serve(web_listener, app)
                .with_graceful_shutdown(async move { shutdown.cancelled().await });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "the mail catcher's page stopped");
            }
        });
        tasks.close();
        Ok(Mailbox { smtp, web, tasks })
    }

    /// Waits for both servers to stop (after the shutdown token fires).
    pub async fn stopped(self) {
        self.tasks.wait().await;
    }
}

/// One SMTP conversation.
async fn session(stream: TcpStream, shelf: &Shelf) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 placewatch-demo ESMTP mail catcher (nothing is relayed)\r\n")
        .await?;
    let (mut from, mut to): (Option<String>, Vec<String>) = (None, Vec::new());
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut lines)
            .take(MAX_LINE_BYTES as u64)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => {
                b"250-placewatch-demo\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
            }
            "HELO" => b"250 placewatch-demo\r\n",
            "MAIL" => {
                from = Some(command[4..].trim().to_owned());
                to.clear();
                b"250 2.1.0 OK\r\n"
            }
            "RCPT" if from.is_some() => {
                to.push(command[4..].trim().to_owned());
                b"250 2.1.5 OK\r\n"
            }
            "DATA" if !to.is_empty() => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let Some(data) = read_data(&mut lines).await? else {
                    write.write_all(b"552 5.3.4 Message too big\r\n").await?;
                    return Ok(());
                };
                let n = shelf.keep(&data)?;
                (from, to) = (None, Vec::new());
                let reply = format!("250 2.0.0 OK: kept as message {n}\r\n");
                write.write_all(reply.as_bytes()).await?;
                continue;
            }
            "RCPT" | "DATA" => b"503 5.5.1 Bad sequence of commands\r\n",
            "RSET" => {
                (from, to) = (None, Vec::new());
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 Command not recognised\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// The message after DATA, up to the line holding only `.`, dot-unstuffed;
/// `None` when it is larger than [`MAX_MESSAGE_BYTES`].
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut R,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((data.len() <= MAX_MESSAGE_BYTES).then_some(data));
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        if data.len() <= MAX_MESSAGE_BYTES {
            data.extend_from_slice(unstuffed);
        }
    }
}

/// A message as the list shows it.
struct Summary {
    n: u64,
    date: String,
    from: String,
    to: String,
    subject: String,
}

fn summary(n: u64, raw: &[u8]) -> Summary {
    let parsed = MessageParser::default().parse(raw);
    let addresses = |a: Option<&mail_parser::Address>| {
        a.map(|a| {
            a.iter()
                .filter_map(|addr| addr.address())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
    };
    match parsed {
        Some(m) => Summary {
            n,
            date: m.date().map(|d| d.to_rfc3339()).unwrap_or_default(),
            from: addresses(m.from()),
            to: addresses(m.to()),
            subject: m.subject().unwrap_or("(no subject)").to_owned(),
        },
        None => Summary {
            n,
            date: String::new(),
            from: String::new(),
            to: String::new(),
            subject: "(unreadable message)".to_owned(),
        },
    }
}

#[derive(Template)]
#[template(path = "mailbox/list.html")]
struct ListPage {
    messages: Vec<Summary>,
}

#[derive(Template)]
#[template(path = "mailbox/message.html")]
struct MessagePage {
    summary: Summary,
    reply_to: String,
    message_id: String,
    text: String,
    has_html: bool,
}

fn page<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn list(State(shelf): State<Arc<Shelf>>) -> Response {
    let messages = shelf
        .numbers()
        .into_iter()
        .filter_map(|n| Some(summary(n, &shelf.read(n)?)))
        .collect();
    page(&ListPage { messages })
}

async fn message(State(shelf): State<Arc<Shelf>>, UrlPath(n): UrlPath<u64>) -> Response {
    let Some(raw) = shelf.read(n) else {
        return (StatusCode::NOT_FOUND, "no such message").into_response();
    };
    let parsed = MessageParser::default().parse(&raw);
    let (reply_to, message_id, text, has_html) = match &parsed {
        Some(m) => (
            m.reply_to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or("")
                .to_owned(),
            m.message_id().unwrap_or("").to_owned(),
            m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
            m.body_html(0).is_some(),
        ),
        None => Default::default(),
    };
    page(&MessagePage {
        summary: summary(n, &raw),
        reply_to,
        message_id,
        text,
        has_html,
    })
}

/// The HTML part alone, sandboxed: no script, no network, no forms.
async fn html_part(State(shelf): State<Arc<Shelf>>, UrlPath(n): UrlPath<u64>) -> Response {
    let html = shelf.read(n).and_then(|raw| {
        let m = MessageParser::default().parse(&raw)?;
        Some(m.body_html(0)?.into_owned())
    });
    match html {
        Some(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "sandbox; default-src 'none'; style-src 'unsafe-inline'",
                ),
            ],
            html,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no HTML part").into_response(),
    }
}

/// The message exactly as received.
async fn raw(State(shelf): State<Arc<Shelf>>, UrlPath(n): UrlPath<u64>) -> Response {
    match shelf.read(n) {
        Some(raw) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], raw).into_response(),
        None => (StatusCode::NOT_FOUND, "no such message").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dot_stuffed_lines_are_unstuffed_and_the_end_is_found() {
        let mut input: &[u8] = b"Subject: x\r\n\r\n..leading dot\r\nplain\r\n.\r\nQUIT\r\n";
        let data = read_data(&mut input).await.unwrap().unwrap();
        assert_eq!(data, b"Subject: x\r\n\r\n.leading dot\r\nplain\r\n");
        assert_eq!(input, b"QUIT\r\n", "the next command is left to read");
    }

    #[tokio::test]
    async fn a_message_cut_off_is_an_error_not_a_message() {
        let mut input: &[u8] = b"Subject: x\r\n\r\nno end";
        assert!(read_data(&mut input).await.is_err());
    }
}
