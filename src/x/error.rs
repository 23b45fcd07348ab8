//! Every way a call to X can fail, as a typed error the caller can act on:
//! wait (rate limited), pause (usage cap, credits), hand over to a person (reply
//! not allowed), reconcile (duplicate content), fix the text, log in again, or
//! retry (server and transport errors).

use reqwest::StatusCode;

use super::ratelimit::{LimitKind, RateLimits};
use super::wire::{LegacyErrors, Problem, problem_type};

/// Why X refused a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyRefusal {
    /// The 2026 self-serve restriction: the author did not mention or quote the account.
    NotSummoned,
    /// The author's conversation controls (`reply_settings`).
    ConversationControls,
}

#[derive(Debug, thiserror::Error)]
pub enum XError {
    #[error("rate limited ({kind:?} limit); try again at {}", reset_at.map_or("an unknown time".to_string(), |t| t.to_string()))]
    RateLimited {
        kind: LimitKind,
        /// Unix seconds.
        reset_at: Option<i64>,
        limits: RateLimits,
    },
    #[error("the monthly usage cap is reached: {detail}")]
    UsageCapExceeded {
        detail: String,
        period: Option<String>,
    },
    #[error("the account has no credits left: {detail}")]
    CreditsDepleted { detail: String },
    #[error("X does not allow this reply through the API: {detail}")]
    ReplyNotAllowed {
        reason: ReplyRefusal,
        detail: String,
    },
    #[error("X refused duplicate content: {detail}")]
    DuplicateContent { detail: String },
    #[error("X says the text is too long: {detail}")]
    TextTooLong { detail: String },
    #[error("unauthorized: {detail}")]
    Unauthorized { detail: String },
    #[error("forbidden: {detail}")]
    Forbidden { detail: String },
    #[error("not found: {detail}")]
    NotFound { detail: String },
    #[error("X refused the request as invalid: {detail}")]
    InvalidRequest { detail: String },
    #[error("X server error {status}: {detail}")]
    Server { status: u16, detail: String },
    #[error("unexpected HTTP status {status}: {detail}")]
    UnexpectedStatus { status: u16, detail: String },
    #[error("could not reach X: {0}")]
    Transport(#[source] reqwest::Error),
    #[error("could not read X's answer (HTTP {status}): {message}")]
    Decode { status: u16, message: String },
    /// No usable user-context token: not logged in, or X refused the refresh
    /// token. Reading goes on with the app-only token; replying needs a login.
    #[error("no user-context token: {0}")]
    Auth(#[from] super::auth::AuthError),
}

impl XError {
    /// Whether repeating the same GET may succeed (transport and 5xx errors).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            XError::Transport(_) | XError::Server { .. } | XError::Decode { .. }
        )
    }

    /// Maps an error response to its typed error.
    pub fn from_response(status: StatusCode, limits: RateLimits, body: &[u8]) -> XError {
        let problem = serde_json::from_slice::<Problem>(body).ok();
        let detail = describe(problem.as_ref(), body, status);
        let title = problem
            .as_ref()
            .map(|p| p.title.as_str())
            .unwrap_or_default();
        let kind = problem
            .as_ref()
            .map(|p| p.kind.as_str())
            .unwrap_or_default();
        match status.as_u16() {
            429 if title == "UsageCapExceeded" || kind == problem_type::USAGE_CAPPED => {
                XError::UsageCapExceeded {
                    period: problem
                        .as_ref()
                        .and_then(|p| p.extra.get("period"))
                        .and_then(|v| v.as_str())
                        .map(String::from),
                    detail,
                }
            }
            429 => {
                let (kind, reset_at) = limits.exhausted();
                XError::RateLimited {
                    kind,
                    reset_at,
                    limits,
                }
            }
            402 => XError::CreditsDepleted { detail },
            401 => XError::Unauthorized { detail },
            403 => forbidden(detail),
            400 if detail.contains("text is too long") => XError::TextTooLong { detail },
            400 => XError::InvalidRequest { detail },
            404 => XError::NotFound { detail },
            s if s >= 500 => XError::Server { status: s, detail },
            s => XError::UnexpectedStatus { status: s, detail },
        }
    }
}

fn forbidden(detail: String) -> XError {
    let lower = detail.to_lowercase();
    if lower.contains("duplicate content") {
        XError::DuplicateContent { detail }
    } else if lower.contains("you can only reply to or quote posts where you are mentioned") {
        XError::ReplyNotAllowed {
            reason: ReplyRefusal::NotSummoned,
            detail,
        }
    } else if lower.contains("is not allowed because you have not been mentioned") {
        XError::ReplyNotAllowed {
            reason: ReplyRefusal::ConversationControls,
            detail,
        }
    } else if lower.contains("text is too long") {
        XError::TextTooLong { detail }
    } else {
        XError::Forbidden { detail }
    }
}

/// The most useful human message in an error body: each `errors[].message`,
/// else the problem's `detail`, else its `title`, else the raw body.
fn describe(problem: Option<&Problem>, body: &[u8], status: StatusCode) -> String {
    if let Ok(legacy) = serde_json::from_slice::<LegacyErrors>(body) {
        let messages: Vec<&str> = legacy.errors.iter().map(|e| e.message.as_str()).collect();
        if !messages.is_empty() {
            return messages.join("; ");
        }
    }
    if let Some(p) = problem {
        if let Some(errors) = p.extra.get("errors").and_then(|e| e.as_array()) {
            let messages: Vec<&str> = errors
                .iter()
                .filter_map(|e| e["message"].as_str())
                .collect();
            if !messages.is_empty() {
                return messages.join("; ");
            }
        }
        if let Some(d) = p.detail.as_deref().filter(|d| !d.is_empty()) {
            return d.to_string();
        }
        if !p.title.is_empty() {
            return p.title.clone();
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        status.canonical_reason().unwrap_or("no detail").to_string()
    } else {
        text.chars().take(300).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(status: u16, body: &str) -> XError {
        XError::from_response(
            StatusCode::from_u16(status).unwrap(),
            RateLimits::default(),
            body.as_bytes(),
        )
    }

    #[test]
    fn maps_x_bodies() {
        assert!(matches!(
            map(
                403,
                r#"{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}"#
            ),
            XError::DuplicateContent { .. }
        ));
        assert!(matches!(
            map(
                403,
                r#"{"detail":"You can only reply to or quote posts where you are mentioned or are the author.","title":"Forbidden","type":"about:blank"}"#
            ),
            XError::ReplyNotAllowed {
                reason: ReplyRefusal::NotSummoned,
                ..
            }
        ));
        assert!(matches!(
            map(
                403,
                r#"{"detail":"Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.","title":"Forbidden","type":"about:blank"}"#
            ),
            XError::ReplyNotAllowed {
                reason: ReplyRefusal::ConversationControls,
                ..
            }
        ));
        assert!(matches!(
            map(
                400,
                r#"{"errors":[{"message":"Your Tweet text is too long.","parameters":{"text":["x"]}}],"title":"Invalid Request","type":"https://api.twitter.com/2/problems/invalid-request"}"#
            ),
            XError::TextTooLong { .. }
        ));
        assert!(matches!(
            map(
                429,
                r#"{"title":"UsageCapExceeded","period":"Monthly","scope":"Product","detail":"Usage cap exceeded: Monthly product cap","type":"https://api.twitter.com/2/problems/usage-capped"}"#
            ),
            XError::UsageCapExceeded { .. }
        ));
        assert!(matches!(
            map(
                429,
                r#"{"errors":[{"code":88,"message":"Rate limit exceeded"}]}"#
            ),
            XError::RateLimited { .. }
        ));
        assert!(matches!(
            map(
                429,
                r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#
            ),
            XError::RateLimited { .. }
        ));
        assert!(matches!(
            map(
                402,
                r#"{"title":"CreditsDepleted","detail":"none","type":"https://api.twitter.com/2/problems/credits"}"#
            ),
            XError::CreditsDepleted { .. }
        ));
        assert!(matches!(
            map(
                401,
                r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#
            ),
            XError::Unauthorized { .. }
        ));
        assert!(matches!(
            map(503, "<html>busy</html>"),
            XError::Server { status: 503, .. }
        ));
        assert!(map(503, "").is_retryable());
    }

    #[test]
    fn invalid_request_message_comes_from_errors() {
        let e = map(
            400,
            r#"{"errors":[{"parameters":{"max_results":["5"]},"message":"The `max_results` query parameter value [5] is not between 10 and 100"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}"#,
        );
        assert!(e.to_string().contains("not between 10 and 100"), "{e}");
    }
}
