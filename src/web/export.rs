//! `GET /inbox.csv`: every item an inbox filter matches (all its pages, not
//! the page on screen) as a CSV download, streamed a store page at a time so
//! a year of items never sits in memory. Cells go through
//! [`crate::domain::csv`]: RFC 4180, UTF-8, and a post's `=HYPERLINK(…)`
//! reaches the spreadsheet as text.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::Desk;
use super::error::WebError;
use super::guard::Me;
use super::inbox::InboxQuery;
use super::render::x_link;
use crate::domain::csv;
use crate::store::{ItemFilter, ItemRow, Store};

/// Items read from the store per part of the download.
const EXPORT_PAGE: u32 = 500;

/// The columns of the items download.
pub(crate) const COLUMNS: [&str; 14] = [
    "item id",
    "posted",
    "author handle",
    "author name",
    "text",
    "places",
    "tags",
    "status",
    "priority",
    "reply path",
    "owner",
    "team",
    "language",
    "link",
];

/// One item as a row of the download: times as X sent them (ISO 8601,
/// UTC), places and tags separated by "; ".
pub(crate) fn record(item: &ItemRow) -> [String; 14] {
    let (handle, name) = item
        .author
        .as_ref()
        .map_or_else(Default::default, |a| (a.username.clone(), a.name.clone()));
    [
        item.id.to_string(),
        item.post.created_at.clone().unwrap_or_default(),
        handle,
        name,
        item.post.text.clone(),
        item.places.join("; "),
        item.tags.join("; "),
        item.status.as_str().to_owned(),
        item.priority.as_str().to_owned(),
        item.reply_path.as_str().to_owned(),
        item.owner.clone().unwrap_or_default(),
        item.team.clone().unwrap_or_default(),
        item.post.lang.clone().unwrap_or_default(),
        x_link(item.post.id),
    ]
}

/// Where the download has got to.
enum Next {
    Header(ItemFilter),
    Page(ItemFilter),
    Done,
}

/// The download's parts: the header row, then one part per store page. A
/// store error ends the stream with an error, so the browser reports a
/// failed download rather than keeping a short file.
fn parts(
    store: Store,
    filter: ItemFilter,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::unfold(Next::Header(filter), move |next| {
        let store = store.clone();
        async move {
            match next {
                Next::Done => None,
                Next::Header(filter) => {
                    Some((Ok(Bytes::from(csv::records([COLUMNS]))), Next::Page(filter)))
                }
                Next::Page(filter) => match store.items_page(&filter).await {
                    Ok((items, more)) => {
                        let text = csv::records(items.iter().map(record));
                        let next = match more {
                            Some(before) => Next::Page(ItemFilter {
                                before: Some(before),
                                ..filter
                            }),
                            None => Next::Done,
                        };
                        Some((Ok(Bytes::from(text)), next))
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the items download stopped");
                        Some((Err(std::io::Error::other(e.to_string())), Next::Done))
                    }
                },
            }
        }
    })
}

/// A download's file name: `placewatch-items-2026-11-30.csv`.
pub(crate) fn file_name(what: &str, today: time::Date) -> String {
    format!("placewatch-{what}-{today}.csv")
}

/// The headers of a CSV download named `name`.
pub(crate) fn csv_headers(name: &str) -> [(header::HeaderName, String); 2] {
    [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ),
    ]
}

/// `GET /inbox.csv?…`: the inbox's filter (the same query string, its page
/// and open item ignored) as CSV, every matching item newest first (or in
/// the filter's order).
pub(crate) async fn inbox_csv(
    State(desk): State<Desk>,
    me: Me,
    Query(q): Query<InboxQuery>,
) -> Result<Response, WebError> {
    let mut filter = q.filter(&desk, &me).await?;
    filter.before = None;
    filter.limit = EXPORT_PAGE;
    // A search the store refuses is refused before the download starts.
    crate::store::check_filter(&filter)?;
    let name = file_name("items", OffsetDateTime::now_utc().date());
    let body = Body::from_stream(parts(desk.store.clone(), filter));
    Ok((csv_headers(&name), body).into_response())
}
