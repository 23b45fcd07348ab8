//! Live updates: one task reads the store's change marks (newest item, newest
//! audit entry) every second while an inbox is open, and publishes them; each
//! open inbox holds a server-sent event stream that forwards changes, and its
//! script then fetches the new rows. One cheap query a second however many
//! officers are watching, none when nobody is. Streams end when the desk
//! shuts down.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::Desk;
use super::guard::Me;
use crate::store::Store;

/// The latest change marks: (newest item id, newest audit id).
#[derive(Clone)]
pub(crate) struct Live {
    marks: watch::Receiver<(i64, i64)>,
}

impl Live {
    /// Starts watching `store` every `every` until `shutdown`.
    pub fn watch(store: Store, every: Duration, shutdown: CancellationToken) -> Live {
        let (tx, rx) = watch::channel((0, 0));
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
        Live { marks: rx }
    }
}

/// `GET /events`: `event: change` with `{"item": newest item id, "audit":
/// newest audit id}` whenever either moves, starting with the current marks.
/// The stream ends when the session does (logout, expiry, a disabled
/// account): the session is checked again before every event.
pub(crate) async fn events(
    State(desk): State<Desk>,
    me: Me,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut rx = desk.live.marks.clone();
    rx.mark_changed();
    let state = (rx, desk.store.clone(), me.token_hash);
    let stream = futures::stream::unfold(state, |(mut rx, store, token)| async move {
        rx.changed().await.ok()?;
        let (item, audit) = *rx.borrow_and_update();
        if !matches!(store.session(&token).await, Ok(Some(_))) {
            return None;
        }
        let event = Event::default()
            .event("change")
            .data(format!(r#"{{"item":{item},"audit":{audit}}}"#));
        Some((Ok(event), (rx, store, token)))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
