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
use super::undo::ChangeList;
use crate::domain::officer::Permission;
use crate::domain::outbox::ReplyState;

/// The frame of every page after login.
pub(crate) struct Chrome {
    pub csrf: String,
    pub username: String,
    pub display_name: String,
    pub role: &'static str,
    pub council: String,
    /// Which navigation entry is current: `inbox`, `approvals`, `status`,
    /// `officers`, `notifications`.
    pub section: &'static str,
    pub can_approve: bool,
    pub can_admin: bool,
    /// Whether the Reports page is in the navigation.
    pub can_report: bool,
    /// Replies awaiting approval (shown to approvers).
    pub awaiting: u64,
    /// The officer's unread notifications (the bell).
    pub unread: u64,
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
        let unread = desk.store.unread_count(me.name()).await?;
        Ok(Chrome {
            csrf: me.csrf.clone(),
            username: me.officer.username.clone(),
            display_name: me.officer.display_name.clone(),
            role: me.officer.role.as_str(),
            council: format!("@{}", desk.council.handle()),
            section,
            can_approve,
            can_admin: me.can(Permission::Administer),
            can_report: me.can(Permission::Report),
            awaiting,
            unread,
            flash: None,
            undo: None,
        })
    }

    /// The bell's words: "3 unread notifications".
    pub fn unread_words(&self) -> String {
        super::notifications::unread_words(self.unread)
    }

    pub fn with_flash(mut self, flash: Option<String>) -> Chrome {
        self.flash = flash.filter(|f| !f.is_empty()).map(|f| truncate(&f, 300));
        self
    }

    /// Offers to undo `changes` (a [`ChangeList`]) from the flash, coming
    /// back to `here`.
    pub fn with_undo(mut self, changes: Option<&str>, here: &str) -> Chrome {
        let valid = changes.filter(|c| c.len() <= 4000 && ChangeList::parse(c, 50_000).is_ok());
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
        target.push_str(&format!("&undo={}", ChangeList::new(undo)));
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
        s if s < 2 * 86_400 => "1 day ago".to_owned(),
        s if s < 7 * 86_400 => format!("{} days ago", s / 86_400),
        _ => at.date().to_string(),
    }
}

/// A moment as the desk shows it: the instant for `<time datetime>`, and a
/// text written on the server in UTC, relative and then the clock: "in 40 s
/// (14:05:12 UTC)", "3 min ago (yesterday 23:58 UTC)". The desk's script
/// rewrites the text in the browser's own time zone and keeps the relative
/// part current; without it the page reads the same, in UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct When {
    /// RFC 3339 UTC, to the second.
    pub iso: String,
    pub text: String,
    /// Whether the clock shows seconds (polls, seconds apart) or not.
    pub seconds: bool,
    /// Something scheduled (a poll): once the time has passed it is "due
    /// now", not "3 s ago", until the page learns the next one.
    pub due: bool,
}

/// `rfc3339` as a [`When`] seen at `now`; `None` when it is not a time.
pub(crate) fn when(rfc3339: &str, now: OffsetDateTime, seconds: bool) -> Option<When> {
    OffsetDateTime::parse(rfc3339, &Rfc3339)
        .ok()
        .map(|at| when_at(at, now, seconds))
}

/// A scheduled moment (`rfc3339`, to the second) seen at `now`: as
/// [`when`], but "due now" once it has passed.
pub(crate) fn due(rfc3339: &str, now: OffsetDateTime) -> Option<When> {
    let mut w = when(rfc3339, now, true)?;
    w.due = true;
    let at = OffsetDateTime::parse(&w.iso, &Rfc3339).ok()?;
    if at <= now.replace_nanosecond(0).unwrap_or(now) {
        w.text = format!("due now ({} UTC)", clock(at, now, true));
    }
    Some(w)
}

/// `at` as a [`When`] seen at `now`.
pub(crate) fn when_at(at: OffsetDateTime, now: OffsetDateTime, seconds: bool) -> When {
    let at = at.to_offset(time::UtcOffset::UTC);
    let at = at.replace_nanosecond(0).unwrap_or(at);
    let now = now.to_offset(time::UtcOffset::UTC);
    let now = now.replace_nanosecond(0).unwrap_or(now);
    When {
        iso: at.format(&Rfc3339).unwrap_or_default(),
        text: format!(
            "{} ({} UTC)",
            relative((at - now).whole_seconds()),
            clock(at, now, seconds)
        ),
        seconds,
        due: false,
    }
}

/// "in 40 s", "now", "3 min ago", "in 2 h 5 min", "4 days ago": a time
/// `secs` seconds from now (negative: past). desk.js says the same.
fn relative(secs: i64) -> String {
    let (n, future) = (secs.unsigned_abs(), secs > 0);
    let span = match n {
        0 => return if future { "now" } else { "just now" }.to_owned(),
        1..60 => format!("{n} s"),
        60..3600 => format!("{} min", n / 60),
        3600..86_400 => match ((n / 3600), (n % 3600) / 60) {
            (h, m) if m > 0 && h < 10 => format!("{h} h {m} min"),
            (h, _) => format!("{h} h"),
        },
        _ => match n / 86_400 {
            1 => "1 day".to_owned(),
            d => format!("{d} days"),
        },
    };
    if future {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

/// The clock time of `at` (UTC), with the day when it is not `now`'s:
/// "14:05", "tomorrow 00:10", "yesterday 23:58", "3 Dec 14:05", "3 Dec 2025 14:05".
fn clock(at: OffsetDateTime, now: OffsetDateTime, seconds: bool) -> String {
    let time = if seconds {
        format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second())
    } else {
        format!("{:02}:{:02}", at.hour(), at.minute())
    };
    let (day, today) = (at.date(), now.date());
    let month = &at.month().to_string()[..3];
    if day == today {
        time
    } else if today.next_day() == Some(day) {
        format!("tomorrow {time}")
    } else if today.previous_day() == Some(day) {
        format!("yesterday {time}")
    } else if day.year() == today.year() {
        format!("{} {month} {time}", day.day())
    } else {
        format!("{} {month} {} {time}", day.day(), day.year())
    }
}

/// The post on x.com.
pub(crate) fn x_link(post_id: u64) -> String {
    format!("https://x.com/i/web/status/{post_id}")
}

/// A post's text with the words a search matched marked (`<mark>` in the
/// templates, escaped like any text).
pub(crate) struct Marked {
    pub parts: Vec<Part>,
}

/// A run of a [`Marked`] text.
pub(crate) struct Part {
    pub text: String,
    pub hit: bool,
}

impl Marked {
    /// `text` with the byte ranges `hits` marked (as the store's highlights
    /// give them: in order, apart, on character boundaries), cut to `max`
    /// characters with an ellipsis as [`truncate`] cuts.
    pub fn new(text: &str, hits: &[std::ops::Range<usize>], max: usize) -> Marked {
        Marked::from(text, 0, hits, max)
    }

    /// [`Marked::new`] for a one-line list row: when the first match is
    /// further in than a row shows, the text starts with "…" a few words
    /// before it, so the matched word is on screen.
    pub fn snippet(text: &str, hits: &[std::ops::Range<usize>], max: usize) -> Marked {
        /// Characters a row surely shows before the first match, and of
        /// those, how many are kept before it when the start is cut.
        const SHOWN: usize = 50;
        const LEAD: usize = 24;
        let Some(first) = hits.first() else {
            return Marked::new(text, hits, max);
        };
        let before = text.get(..first.start).unwrap_or_default();
        if before.chars().count() <= SHOWN {
            return Marked::new(text, hits, max);
        }
        // The start of the word LEAD characters before the match.
        let lead_at = before
            .char_indices()
            .rev()
            .nth(LEAD - 1)
            .map_or(0, |(at, _)| at);
        let from = before[..lead_at]
            .rfind(char::is_whitespace)
            .map_or(lead_at, |at| at + 1);
        let mut marked = Marked::from(text, from, hits, max);
        marked.parts.insert(
            0,
            Part {
                text: "…".to_owned(),
                hit: false,
            },
        );
        marked
    }

    /// The text from byte `from`, cut to `max` characters, `hits` marked.
    fn from(text: &str, from: usize, hits: &[std::ops::Range<usize>], max: usize) -> Marked {
        let rest = &text[from..];
        let (shown_len, cut) = match rest.char_indices().nth(max) {
            Some((at, _)) => (from + at, true),
            None => (text.len(), false),
        };
        let shown = &text[..shown_len];
        let mut parts = Vec::new();
        let mut push = |text: &str, hit: bool| {
            if !text.is_empty() {
                parts.push(Part {
                    text: text.to_owned(),
                    hit,
                });
            }
        };
        let mut at = from;
        for hit in hits {
            let (start, end) = (hit.start.max(at), hit.end.min(shown.len()));
            if start >= end || !shown.is_char_boundary(start) || !shown.is_char_boundary(end) {
                continue;
            }
            push(&shown[at..start], false);
            push(&shown[start..end], true);
            at = end;
        }
        push(&shown[at..], false);
        if cut {
            push("…", false);
        }
        Marked { parts }
    }
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
    fn moments_read_relative_then_as_a_utc_clock() {
        let now = time::macros::datetime!(2026-12-06 14:05:00 UTC);
        let at = |rfc: &str, seconds: bool| when(rfc, now, seconds).unwrap().text;
        assert_eq!(at("2026-12-06T14:05:40Z", true), "in 40 s (14:05:40 UTC)");
        assert_eq!(at("2026-12-06T14:05:00Z", true), "just now (14:05:00 UTC)");
        assert_eq!(at("2026-12-06T14:04:57Z", true), "3 s ago (14:04:57 UTC)");
        assert_eq!(at("2026-12-06T14:02:10Z", false), "2 min ago (14:02 UTC)");
        assert_eq!(at("2026-12-06T14:20:00Z", false), "in 15 min (14:20 UTC)");
        assert_eq!(
            at("2026-12-06T16:10:00Z", false),
            "in 2 h 5 min (16:10 UTC)"
        );
        assert_eq!(
            at("2026-12-07T00:10:00Z", false),
            "in 10 h (tomorrow 00:10 UTC)"
        );
        assert_eq!(
            at("2026-12-05T23:58:00Z", false),
            "14 h ago (yesterday 23:58 UTC)"
        );
        assert_eq!(
            at("2026-12-01T09:00:00Z", false),
            "5 days ago (1 Dec 09:00 UTC)"
        );
        assert_eq!(
            at("2025-11-30T09:00:00Z", false),
            "371 days ago (30 Nov 2025 09:00 UTC)"
        );
        // Another offset, and fractions of a second, are shown in UTC to the second.
        let w = when("2026-12-06T15:06:00.835+01:00", now, true).unwrap();
        assert_eq!(w.iso, "2026-12-06T14:06:00Z");
        assert_eq!(w.text, "in 1 min (14:06:00 UTC)");
        assert_eq!(when("soon", now, true), None);
    }

    #[test]
    fn a_scheduled_moment_that_has_passed_is_due_now() {
        let now = time::macros::datetime!(2026-12-06 14:05:00.400 UTC);
        let next = |rfc: &str| due(rfc, now).unwrap().text;
        assert_eq!(next("2026-12-06T14:05:40Z"), "in 40 s (14:05:40 UTC)");
        assert_eq!(next("2026-12-06T14:05:01Z"), "in 1 s (14:05:01 UTC)");
        assert_eq!(next("2026-12-06T14:05:00.9Z"), "due now (14:05:00 UTC)");
        assert_eq!(next("2026-12-06T14:04:58Z"), "due now (14:04:58 UTC)");
        assert!(due("2026-12-06T14:04:58Z", now).unwrap().due);
    }

    #[test]
    fn marked_text_keeps_every_character_and_cuts_like_truncate() {
        let text = "Potholes on Cherry Orchard Road";
        let m = Marked::new(text, &[0..8, 12..26], 400);
        let plain: String = m.parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(plain, text);
        let hits: Vec<&str> = m
            .parts
            .iter()
            .filter(|p| p.hit)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(hits, ["Potholes", "Cherry Orchard"]);
        let cut = Marked::new(text, &[0..8, 12..26], 15);
        let plain: String = cut.parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(plain, truncate(text, 15));
        assert_eq!(cut.parts[2].text, "Che");
        assert!(cut.parts[2].hit);
    }

    #[test]
    fn a_snippet_starts_a_few_words_before_a_late_match() {
        let text = "Drove down Morland Road and my fillings came out, honestly the worst \
                    road in the borough for potholes by a mile";
        let at = text.find("potholes").unwrap();
        let hits = [std::ops::Range {
            start: at,
            end: at + 8,
        }];
        let m = Marked::snippet(text, &hits, 400);
        let shown: String = m.parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(shown, "…road in the borough for potholes by a mile");
        assert!(m.parts.iter().any(|p| p.hit && p.text == "potholes"));
        let first = [std::ops::Range { start: 0, end: 8 }];
        let early = Marked::snippet("Potholes again", &first, 400);
        assert_eq!(early.parts[0].text, "Potholes");
    }

    #[test]
    fn one_day_is_singular() {
        let at = |hours: i64| {
            (OffsetDateTime::now_utc() - time::Duration::hours(hours))
                .format(&Rfc3339)
                .unwrap()
        };
        assert_eq!(age(&at(30)), "1 day ago");
        assert_eq!(age(&at(60)), "2 days ago");
    }

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
