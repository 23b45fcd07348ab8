//! Fault injection: latency, 5xx, 429 with a reset, malformed or truncated
//! bodies and dropped connections, for the next N requests or with a probability,
//! optionally only on routes starting with a prefix and/or one method. Control
//! routes (`/_sim/`) are never faulted.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::stream;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::state::{SimState, now_ms};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Delay the response by `latency_ms`, then answer normally: X slow
    /// before acting (a client that goes away meanwhile cancels the request,
    /// so nothing is done).
    Latency,
    /// Act on the request at once, then hold the answer for `latency_ms`: X
    /// slow to answer after acting (a `POST /2/tweets` has created the post
    /// even if the client goes away).
    SlowAnswer,
    /// Answer with `status` (default 503).
    Error,
    /// Answer 429 with `x-rate-limit-remaining: 0` and a reset `reset_secs` ahead.
    RateLimit,
    /// Answer 200 with a body that is not valid JSON.
    Malformed,
    /// Answer normally but cut the body off halfway and close the connection.
    Truncated,
    /// Close the connection without a usable response.
    Drop,
}

/// One rule, as posted to `/_sim/faults`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub kind: FaultKind,
    /// Only requests whose path starts with this.
    #[serde(default)]
    pub route: Option<String>,
    /// Only requests with this method (e.g. `"POST"`, so `/2/tweets` does
    /// not also catch searches).
    #[serde(default)]
    pub method: Option<String>,
    /// Apply to the next `count` matching requests…
    #[serde(default)]
    pub count: Option<u32>,
    /// …or to each matching request with this probability (until cleared).
    #[serde(default)]
    pub probability: Option<f64>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub reset_secs: Option<i64>,
}

#[derive(Debug, Default)]
pub struct Faults {
    pub rules: Vec<FaultSpec>,
    pub injected: u64,
}

impl Faults {
    /// The fault to apply to a `method` request on `path`, consuming one use of it.
    fn take(&mut self, method: &str, path: &str) -> Option<FaultSpec> {
        let i = self.rules.iter().position(|r| {
            r.route.as_deref().is_none_or(|p| path.starts_with(p))
                && r.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && match (r.count, r.probability) {
                    (Some(n), _) => n > 0,
                    (None, Some(p)) => rand::random::<f64>() < p,
                    (None, None) => true,
                }
        })?;
        let rule = self.rules[i].clone();
        if let Some(n) = self.rules[i].count.as_mut() {
            *n -= 1;
            if *n == 0 {
                self.rules.remove(i);
            }
        }
        self.injected += 1;
        Some(rule)
    }
}

/// Middleware that applies the next matching fault.
pub async fn inject(State(state): State<SimState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/_sim/") {
        return next.run(request).await;
    }
    let method = request.method().as_str().to_owned();
    let fault = state
        .0
        .faults
        .lock()
        .expect("faults lock")
        .take(&method, &path);
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    tracing::debug!(?fault.kind, %path, "injecting fault");
    match fault.kind {
        FaultKind::Latency => {
            tokio::time::sleep(Duration::from_millis(fault.latency_ms.unwrap_or(1000))).await;
            next.run(request).await
        }
        FaultKind::SlowAnswer => {
            let response = next.run(request).await;
            tokio::time::sleep(Duration::from_millis(fault.latency_ms.unwrap_or(1000))).await;
            response
        }
        FaultKind::Error => {
            let status = fault
                .status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            ApiError::Server(status).into_response()
        }
        FaultKind::RateLimit => rate_limited(fault.reset_secs.unwrap_or(60)),
        FaultKind::Malformed => {
            let mut r = (
                StatusCode::OK,
                "{\"data\":[{\"id\":\"1\",\"text\":\"<html>502 Bad Gateway",
            )
                .into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        FaultKind::Truncated => truncate(next.run(request).await).await,
        FaultKind::Drop => broken_body(Bytes::new(), None),
    }
}

fn rate_limited(reset_secs: i64) -> Response {
    let mut r = ApiError::TooManyRequests { legacy: false }.into_response();
    let h = r.headers_mut();
    let reset = now_ms() / 1000 + reset_secs;
    h.insert("x-rate-limit-limit", HeaderValue::from(450));
    h.insert("x-rate-limit-remaining", HeaderValue::from(0));
    h.insert("x-rate-limit-reset", HeaderValue::from(reset));
    r
}

async fn truncate(response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    let mut r = broken_body(half, Some(bytes.len()));
    *r.status_mut() = parts.status;
    for (k, v) in &parts.headers {
        if k != header::CONTENT_LENGTH {
            r.headers_mut().insert(k, v.clone());
        }
    }
    r
}

/// A response whose body sends `prefix` and then fails, so the server closes
/// the connection mid-body. With `claimed_len`, it promises the full length.
fn broken_body(prefix: Bytes, claimed_len: Option<usize>) -> Response {
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(prefix),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected fault",
        )),
    ];
    let mut r = Response::new(Body::from_stream(stream::iter(chunks)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(len) = claimed_len {
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    r
}
