//! What every page shares: the [`Chrome`] around it (who is logged in, their
//! CSRF token, the navigation), rendering a template into a response, and
//! the small view helpers templates use (ages, X links, shortened text).
//! Templates escape everything they print; nothing here marks text safe.

use askama::Template;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::Desk;
use super::error::WebError;
use super::guard::Me;
use crate::domain::officer::Permission;
use crate::domain::outbox::ReplyState;

/// The frame of every page after login.
pub(crate) struct Chrome {
    pub csrf: String,
    pub display_name: String,
    pub role: &'static str,
    pub council: String,
    /// Which navigation entry is current: `inbox`, `approvals`, `status`, `officers`.
    pub section: &'static str,
    pub can_approve: bool,
    pub can_admin: bool,
    /// Replies awaiting approval (shown to approvers).
    pub awaiting: u64,
    /// A one-off message after an action (from the `done` query parameter).
    pub flash: Option<String>,
    /// The changes the flash's Undo button takes back (the `undo` query
    /// parameter), and the page to come back to.
    pub undo: Option<(String, String)>,
}

impl Chrome {
    pub async fn new(desk: &Desk, me: &Me, section: &'static str) -> Result<Chrome, WebError> {
        let can_approve = me.can(Permission::Approve);
        let awaiting = if can_approve {
            desk.store
                .count_replies_in_state(ReplyState::AwaitingApproval)
                .await?
        } else {
            0
        };
        Ok(Chrome {
            csrf: me.csrf.clone(),
            display_name: me.officer.display_name.clone(),
            role: me.officer.role.as_str(),
            council: format!("@{}", desk.council.handle()),
            section,
            can_approve,
            can_admin: me.can(Permission::Administer),
            awaiting,
            flash: None,
            undo: None,
        })
    }

    pub fn with_flash(mut self, flash: Option<String>) -> Chrome {
        self.flash = flash.filter(|f| !f.is_empty()).map(|f| truncate(&f, 300));
        self
    }

    /// Offers to undo `changes` (audit entry ids, comma-separated) from the
    /// flash, coming back to `here`.
    pub fn with_undo(mut self, changes: Option<&str>, here: &str) -> Chrome {
        let valid = changes.filter(|c| {
            !c.is_empty() && c.split(',').all(|id| id.parse::<i64>().is_ok()) && c.len() <= 4000
        });
        self.undo = valid
            .filter(|_| self.flash.is_some())
            .map(|c| (c.to_owned(), here.to_owned()));
        self
    }
}

/// Renders a template as an HTML response.
pub(crate) fn html(template: &impl Template) -> Result<Response, WebError> {
    Ok(Html(template.render()?).into_response())
}

/// Whether the request came from the desk's script, which wants JSON back
/// instead of a page or a redirect.
pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// After a form's action: back to `to` with a message for the flash banner.
pub(crate) fn back(to: &str, message: &str) -> Response {
    back_with_undo(to, message, &[])
}

/// [`back`], offering to undo the changes recorded by audit entries `undo`.
pub(crate) fn back_with_undo(to: &str, message: &str, undo: &[i64]) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    let mut target = format!("{to}{sep}done={}", super::guard::urlencode(message));
    if !undo.is_empty() {
        let ids: Vec<String> = undo.iter().map(i64::to_string).collect();
        target.push_str(&format!("&undo={}", ids.join(",")));
    }
    Redirect::to(&target).into_response()
}

/// A path on this desk to go on to (a form's `back`, the login's `next`);
/// the inbox for anything else. Only one leading `/`, no backslash and no
/// control or whitespace character: browsers drop tabs and newlines from
/// URLs and read `\\` as `/`, so `/\t/host` or `/\\host` would leave the desk.
pub(crate) fn local_path(back: Option<&str>) -> String {
    match back {
        Some(b)
            if b.starts_with('/')
                && !b.starts_with("//")
                && !b.contains('\\')
                && !b.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            b.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// "3 min ago", "2 h ago", "5 days ago", or the date.
pub(crate) fn age(rfc3339: &str) -> String {
    let Ok(at) = OffsetDateTime::parse(rfc3339, &Rfc3339) else {
        return rfc3339.to_owned();
    };
    let secs = (OffsetDateTime::now_utc() - at).whole_seconds();
    match secs {
        s if s < 60 => "just now".to_owned(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s if s < 7 * 86_400 => format!("{} days ago", s / 86_400),
        _ => at.date().to_string(),
    }
}

/// The post on x.com.
pub(crate) fn x_link(post_id: u64) -> String {
    format!("https://x.com/i/web/status/{post_id}")
}

/// At most `max` characters, with an ellipsis when cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("ääää", 2), "ää…");
    }

    #[test]
    fn only_local_paths_come_back() {
        assert_eq!(local_path(Some("/items/4")), "/items/4");
        assert_eq!(
            local_path(Some("/?status=new&q=bins")),
            "/?status=new&q=bins"
        );
        assert_eq!(local_path(None), "/");
        for away in [
            "//x.example",
            "/\t/127.0.0.1:18999/phish",
            "/\n/x.example",
            "/\r\nSet-Cookie: x=1",
            "/\\x.example",
            "\\\\x.example",
            "https://x.example/",
            "x.example",
            "/\u{0}x",
            "/ /x.example",
            "",
        ] {
            assert_eq!(local_path(Some(away)), "/", "{away:?}");
        }
    }
}
