//! The status page: the council account and its token (and how to fix it),
//! rate limits, the month's budget and forecast, each query's last and next
//! poll, and recent errors — the same report as `placewatch status`.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::Desk;
use super::error::WebError;
use super::guard::Me;
use super::render::{Chrome, age, html};
use crate::poller::report::StatusReport;

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage {
    chrome: Chrome,
    report: StatusReport,
    token_expires: String,
    budget: String,
}

/// `GET /status`.
pub(crate) async fn page(State(desk): State<Desk>, me: Me) -> Result<Response, WebError> {
    let daemon = desk.health.current();
    let report = StatusReport::gather(&desk.config, &desk.store, &daemon)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let token_expires = report
        .token
        .as_ref()
        .map(|t| t.expires_at.to_string())
        .unwrap_or_default();
    let f = &report.forecast;
    let budget = match (f.limit, f.percent_used) {
        (Some(limit), Some(pct)) => format!(
            "{} of {limit} post reads used ({pct:.1}%); at this pace the month ends at {}.",
            f.used, f.projected
        ),
        _ => format!(
            "{} post reads used, no monthly limit set; at this pace the month ends at {}.",
            f.used, f.projected
        ),
    };
    let chrome = Chrome::new(&desk, &me, "status").await?;
    html(&StatusPage {
        chrome,
        report,
        token_expires,
        budget,
    })
}

impl StatusPage {
    /// "5 min ago", or "never".
    fn ago(&self, at: &Option<String>) -> String {
        at.as_deref().map(age).unwrap_or_else(|| "never".into())
    }
}
