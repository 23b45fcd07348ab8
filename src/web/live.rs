//! Live updates: one task reads the store's change marks (newest item, newest
//! audit entry, newest notification) every second while a desk page is open,
//! and publishes them; each open page holds a server-sent event stream that
//! forwards changes, and its script then fetches the new rows or updates the
//! bell. One cheap query a second however many officers are watching, none
//! when nobody is; a stream asks for its officer's unread count only when
//! the newest notification moves. Streams end when the desk shuts down.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::Desk;
use super::error::WebError;
use super::guard::Me;
use crate::store::Store;

/// Live streams one session may hold open at once (a few tabs; more is a
/// runaway script or an attempt to tie up the desk).
pub(crate) const STREAMS_PER_SESSION: usize = 6;

/// The latest change marks: (newest item id, newest audit id, newest
/// notification id), and the streams open per session.
#[derive(Clone)]
pub(crate) struct Live {
    marks: watch::Receiver<(i64, i64, i64)>,
    open: Arc<Mutex<HashMap<Vec<u8>, usize>>>,
}

/// One open stream of a session; counted until dropped (the stream ends or
/// the browser goes away).
struct StreamSlot {
    open: Arc<Mutex<HashMap<Vec<u8>, usize>>>,
    session: Vec<u8>,
}

impl Live {
    /// A slot for another stream of `session`, unless it has its share open.
    fn open_stream(&self, session: &[u8]) -> Option<StreamSlot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(session.to_vec()).or_default();
        if *count >= STREAMS_PER_SESSION {
            return None;
        }
        *count += 1;
        Some(StreamSlot {
            open: self.open.clone(),
            session: session.to_vec(),
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.session) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.session);
            }
        }
    }
}

impl Live {
    /// Starts watching `store` every `every` until `shutdown`.
    pub fn watch(store: Store, every: Duration, shutdown: CancellationToken) -> Live {
        let (tx, rx) = watch::channel((0, 0, 0));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    _ = tick.tick() => {}
                }
                // The desk holds one receiver; more means an inbox is open.
                if tx.receiver_count() <= 1 {
                    continue;
                }
                match store.change_marks().await {
                    Ok(marks) => {
                        tx.send_if_modified(|current| {
                            let changed = *current != marks;
                            *current = marks;
                            changed
                        });
                    }
                    Err(e) => debug!(error = %e, "reading the change marks failed"),
                }
            }
        });
        Live {
            marks: rx,
            open: Arc::default(),
        }
    }
}

/// One open stream's state.
struct Watching {
    rx: watch::Receiver<(i64, i64, i64)>,
    store: Store,
    token: Vec<u8>,
    username: String,
    /// The newest notification id last seen, and the unread count then.
    seen: Option<(i64, u64)>,
    _slot: StreamSlot,
}

/// `GET /events`: `event: change` with `{"item": newest item id, "audit":
/// newest audit id, "unread": the officer's unread notifications}` whenever
/// a mark moves, starting with the current marks. The unread count is read
/// again only when the newest notification has moved.
/// The stream ends when the session does (logout, expiry, a disabled
/// account): the session is checked again before every event.
/// A session with [`STREAMS_PER_SESSION`] streams open gets 429.
pub(crate) async fn events(State(desk): State<Desk>, me: Me) -> Result<Response, WebError> {
    let Some(slot) = desk.live.open_stream(&me.token_hash) else {
        return Err(WebError::Refused {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: format!(
                "this session already has {STREAMS_PER_SESSION} live updates open: close some tabs"
            ),
        });
    };
    let mut rx = desk.live.marks.clone();
    rx.mark_changed();
    let watching = Watching {
        rx,
        store: desk.store.clone(),
        token: me.token_hash,
        username: me.officer.username.clone(),
        seen: None,
        _slot: slot,
    };
    let stream = futures::stream::unfold(watching, |mut w| async move {
        w.rx.changed().await.ok()?;
        let (item, audit, notification) = *w.rx.borrow_and_update();
        if !matches!(w.store.session(&w.token).await, Ok(Some(_))) {
            return None;
        }
        let unread = match w.seen {
            Some((mark, unread)) if mark == notification => unread,
            _ => {
                let unread = w.store.unread_count(&w.username).await.ok()?;
                w.seen = Some((notification, unread));
                unread
            }
        };
        let event = Event::default().event("change").data(format!(
            r#"{{"item":{item},"audit":{audit},"unread":{unread}}}"#
        ));
        Some((Ok::<_, Infallible>(event), w))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}
