//! The officers' desk: server-rendered HTML pages (askama templates under
//! `templates/`, escaped by default) with one small script that adds live
//! updates, the live character count and keyboard triage. Every page works
//! without the script.
//!
//! - `auth`: officers' passwords (argon2id), sessions in cookies, login throttling;
//! - `guard`: the layers every request passes — security headers (a strict
//!   Content-Security-Policy with no inline script), the session check, and
//!   the CSRF check of every state-changing request;
//! - `inbox`, `item` (with `compose`, the reply composer), `approvals`, `status`,
//!   `officers`, `teams` (with `team_edit`, administrators' changes),
//!   `settings` (an officer's notification settings), `reports` (the
//!   manager's figures, with `charts` drawing them): the pages and their
//!   actions; `export`: the inbox as CSV; `narrow`: its day and language
//!   filters;
//! - `bulk`: one change to the ticked items, a page or a whole view, asked
//!   for above 50 items; `item_fields`: one item's priority, tag and
//!   assignment; `changes`: a change's form fields and words, for one item
//!   or many; `undo`: the changes a notice offers back, `POST /undo`;
//! - `live`: server-sent events telling open pages that items arrived or
//!   changed, and each officer's unread notifications (the bell);
//! - `notifications`: an officer's notifications, opened and marked read;
//! - `assets`: the stylesheet and script, embedded in the binary;
//! - `server`: the accept loop ([`serve`]), with a deadline for request
//!   headers and a graceful shutdown.
//!
//! Depends on `domain`, `store`, `reply`, `config` and `poller::health`
//! (read-only); the daemon and the desk share one store and one HTTP server.

mod approvals;
mod assets;
pub mod auth;
mod bulk;
mod changes;
mod charts;
mod compose;
mod error;
mod export;
mod guard;
mod inbox;
mod item;
mod item_fields;
mod live;
mod narrow;
mod notifications;
mod officers;
mod ownership;
mod presence;
mod referrals;
mod render;
mod reports;
mod server;
mod settings;
mod status;
mod team_edit;
mod teams;
mod undo;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::config::Config;
use crate::domain::triage::Council;
use crate::poller::health::Health;
use crate::reply::Outbox;
use crate::store::Store;

pub use auth::{hash_password, verify_password};
pub use server::{
    HEADER_READ_TIMEOUT, MAX_CONNECTIONS, MAX_HEADER_BYTES, TlsError, serve, serve_at_most,
    tls_acceptor,
};

/// The longest a desk request (other than a live-update stream) may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Everything the desk's handlers share. Cheap to clone.
#[derive(Clone)]
pub struct Desk {
    pub store: Store,
    /// Sends replies; `None` when the council account is not logged in.
    pub outbox: Option<Outbox>,
    pub council: Council,
    pub config: Arc<Config>,
    /// The daemon's health, for the status page.
    pub health: Health,
    pub(crate) checks: Arc<auth::PasswordChecks>,
    pub(crate) origins: Arc<guard::Origins>,
    pub(crate) live: live::Live,
    /// Opens `/metrics` and `/healthz` on the desk's address to requests
    /// bearing it (`desk.monitoring_token_env`); without it they are not
    /// served here at all (see [`monitoring_router`]).
    pub monitoring_token: Option<secrecy::SecretString>,
}

impl Desk {
    /// A desk over `store`, served on `listen`, watching the store for new
    /// items until `shutdown`.
    pub fn new(
        store: Store,
        outbox: Option<Outbox>,
        council: Council,
        config: Arc<Config>,
        health: Health,
        listen: SocketAddr,
        shutdown: CancellationToken,
    ) -> Desk {
        let live = live::Live::watch(store.clone(), Duration::from_secs(1), shutdown);
        let origins = guard::Origins::new(config.desk.public_url.as_ref(), listen);
        Desk {
            store,
            outbox,
            council,
            config,
            health,
            checks: Arc::new(auth::PasswordChecks::sized_to_machine()),
            origins: Arc::new(origins),
            live,
            monitoring_token: None,
        }
    }

    /// Whether cookies get `Secure`: the desk is reached over HTTPS.
    fn secure_cookies(&self) -> bool {
        self.config
            .desk
            .public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }
}

/// The desk's routes; `/metrics` and `/healthz` only with a bearer token
/// (see [`Desk::monitoring_token`]).
pub fn router(desk: Desk) -> Router {
    // Live-update streams stay open for the whole session; everything else
    // answers within REQUEST_TIMEOUT (a reply's send included: X's own
    // timeout is shorter, and a send cut short is reconciled by the outbox).
    let streams = Router::new().route("/events", get(live::events));
    let pages = Router::new()
        .route("/", get(inbox::page))
        .route("/inbox/rows", get(inbox::rows))
        .route("/inbox.csv", get(export::inbox_csv))
        .route("/items/bulk", post(bulk::bulk))
        .route("/items/dismiss", post(bulk::dismiss))
        .route("/undo", post(undo::undo))
        .route("/presence", post(presence::report).get(presence::ask))
        .route("/views", post(inbox::save_view))
        .route("/views/{id}/delete", post(inbox::delete_view))
        .route("/items/{id}", get(item::page))
        .route("/items/{id}/claim", post(item::claim))
        .route("/items/{id}/release", post(item::release))
        .route("/items/{id}/dismiss", post(item::dismiss))
        .route("/items/{id}/refer", post(referrals::refer))
        .route("/referrals/{id}/retry", post(referrals::retry))
        .route("/items/{id}/reopen", post(item::reopen))
        .route("/items/{id}/mark-replied", post(item::mark_replied))
        .route("/items/{id}/note", post(item::note))
        .route("/items/{id}/assign", post(item_fields::assign))
        .route("/items/{id}/priority", post(item_fields::priority))
        .route("/items/{id}/tag", post(item_fields::tag))
        .route("/items/{id}/reply", post(compose::reply))
        .route("/items/{id}/reply/check", post(compose::check))
        .route("/approvals", get(approvals::page))
        .route("/replies/{id}/approve", post(approvals::approve))
        .route("/replies/{id}/reject", post(approvals::reject))
        .route("/replies/{id}/retry", post(approvals::retry))
        .route("/notifications", get(notifications::page))
        .route("/notifications/read", post(notifications::read))
        .route("/notifications/{id}", get(notifications::open))
        .route("/status", get(status::page))
        .route("/reports", get(reports::page))
        .route("/reports.csv", get(reports::csv))
        .route("/teams", get(teams::page).post(team_edit::add))
        .route("/teams/{id}", get(team_edit::page).post(team_edit::save))
        .route("/settings", get(settings::page).post(settings::save))
        .route("/officers", get(officers::page))
        .route("/officers/{username}/email", post(officers::set_email))
        .route("/officers/{username}/disable", post(officers::disable))
        .route("/officers/{username}/enable", post(officers::enable))
        .route("/logout", post(auth::logout))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .merge(streams)
        .layer(axum::middleware::from_fn_with_state(
            desk.clone(),
            guard::require_session,
        ));
    let open = Router::new()
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/static/{file}", get(assets::file));
    let health = match desk.monitoring_token.clone() {
        Some(token) => health_router(desk.health.clone()).layer(
            axum::middleware::from_fn_with_state(Arc::new(token), guard::require_bearer),
        ),
        None => Router::new(),
    };
    pages
        .merge(open)
        .layer(axum::middleware::from_fn_with_state(
            desk.clone(),
            guard::require_host,
        ))
        .with_state(desk)
        .merge(health)
        .layer(axum::extract::DefaultBodyLimit::max(guard::MAX_FORM_BYTES))
        .layer(axum::middleware::from_fn(guard::security_headers))
        .layer(
            TraceLayer::new_for_http()
                // The path only: query strings hold search words and tokens.
                .make_span_with(|request: &axum::http::Request<_>| {
                    tracing::info_span!(
                        "desk",
                        method = %request.method(),
                        path = %request.uri().path(),
                    )
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::DEBUG))
                .on_failure(DefaultOnFailure::new().level(Level::WARN)),
        )
}

/// What the monitoring address (`desk.monitoring_listen`, loopback by
/// default) serves: `/metrics` and `/healthz`, open to whoever can reach it.
pub fn monitoring_router(health: Health) -> Router {
    health_router(health).layer(
        TraceLayer::new_for_http()
            .make_span_with(|request: &axum::http::Request<_>| {
                tracing::debug_span!("monitoring", path = %request.uri().path())
            })
            .on_response(DefaultOnResponse::new().level(Level::DEBUG))
            .on_failure(DefaultOnFailure::new().level(Level::WARN)),
    )
}

/// `/metrics` (Prometheus text) and `/healthz` (JSON snapshot; 503 while
/// polling is paused), for monitoring systems (no session).
fn health_router(health: Health) -> Router {
    async fn metrics(State(h): State<Health>) -> impl IntoResponse {
        // What prometheus-client writes is OpenMetrics (`# EOF`, counters
        // declared without `_total`): said so, Prometheus parses it as such
        // and keeps every metric's type and help.
        (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            h.render_metrics().await,
        )
    }
    async fn healthz(State(h): State<Health>) -> impl IntoResponse {
        let snapshot = h.snapshot_json();
        let status = if snapshot["paused"].is_null() {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        (status, axum::Json(snapshot))
    }
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state(health)
}
