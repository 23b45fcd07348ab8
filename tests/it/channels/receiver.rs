//! A webhook receiver on 127.0.0.1:0 standing in for Teams and Slack: it
//! records what it is sent and answers from a script per path prefix
//! (200 once the script runs out).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: String,
    /// What happens instead of an answer.
    instead: Instead,
}

/// A request the receiver takes without answering it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Instead {
    Answer,
    /// Never answers: the sender's timeout ends it.
    Hang,
    /// Closes the connection without an answer.
    Drop,
}

impl Answer {
    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            retry_after: None,
            body: String::new(),
            instead: Instead::Answer,
        }
    }

    /// Takes the request and never answers.
    pub fn hang() -> Answer {
        Answer {
            instead: Instead::Hang,
            ..Answer::status(0)
        }
    }

    /// Takes the request and closes the connection without answering.
    pub fn drop_connection() -> Answer {
        Answer {
            instead: Instead::Drop,
            ..Answer::status(0)
        }
    }

    pub fn retry_after(mut self, v: &str) -> Answer {
        self.retry_after = Some(v.into());
        self
    }

    pub fn body(mut self, b: &str) -> Answer {
        self.body = b.into();
        self
    }
}

/// A request received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    /// The `X-Placewatch-Message-Id` header.
    pub message_id: Option<String>,
    pub content_type: String,
    pub body: Value,
    pub at: Instant,
    pub status: u16,
}

#[derive(Default)]
struct Inner {
    scripts: Mutex<HashMap<String, VecDeque<Answer>>>,
    received: Mutex<Vec<Received>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

pub struct Receiver {
    base: String,
    inner: Arc<Inner>,
    _server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inner = Arc::new(Inner::default());
        let app = Router::new().fallback(receive).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            base: format!("http://{addr}"),
            inner,
            _server: server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Answers for requests whose path starts with `prefix`, in order.
    pub fn script(&self, prefix: &str, answers: impl IntoIterator<Item = Answer>) {
        self.inner
            .scripts
            .lock()
            .unwrap()
            .insert(prefix.into(), answers.into_iter().collect());
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }

    /// Requests to paths starting with `prefix` answered 2xx.
    pub fn accepted(&self, prefix: &str) -> usize {
        self.received()
            .iter()
            .filter(|r| r.path.starts_with(prefix) && (200..300).contains(&r.status))
            .count()
    }

    /// The most requests it was handling at once.
    pub fn max_in_flight(&self) -> usize {
        self.inner.max_in_flight.load(Ordering::SeqCst)
    }

    /// Waits (up to 20 s) until it has received `n` requests.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the receiver never got {n} requests: {:?}", self.received());
    }
}

async fn receive(
    State(inner): State<Arc<Inner>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    inner.max_in_flight.fetch_max(now, Ordering::SeqCst);
    // Let a second request in, were one sent alongside.
    tokio::task::yield_now().await;
    let path = uri.path().to_string();
    let answer = {
        let mut scripts = inner.scripts.lock().unwrap();
        scripts
            .iter_mut()
            .find(|(prefix, _)| path.starts_with(prefix.as_str()))
            .and_then(|(_, answers)| answers.pop_front())
            .unwrap_or(Answer::status(200))
    };
    inner.received.lock().unwrap().push(Received {
        path,
        message_id: headers
            .get("x-placewatch-message-id")
            .and_then(|v| v.to_str().ok())
            .map(String::from),
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        at: Instant::now(),
        status: answer.status,
    });
    inner.in_flight.fetch_sub(1, Ordering::SeqCst);
    match answer.instead {
        Instead::Answer => {}
        Instead::Hang => std::future::pending::<()>().await,
        // Ending the connection's task mid-request closes the socket with
        // no answer, as a crashed or cut-off server would.
        Instead::Drop => std::panic::resume_unwind(Box::new("dropping the connection")),
    }
    let mut response = (StatusCode::from_u16(answer.status).unwrap(), answer.body).into_response();
    if let Some(v) = answer.retry_after {
        response
            .headers_mut()
            .insert("retry-after", v.parse().unwrap());
    }
    response
}
