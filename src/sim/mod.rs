//! The simulated X API v2 server.
//!
//! It serves the routes placewatch uses on the same paths, with the same
//! shapes, status codes and headers as the real API (../shared/x-api/FACTS.md),
//! so that pointing `api_base` at it is the only difference. It is the test
//! double for every integration test and the embedded default of `placewatch
//! demo`. Its own control routes live under `/_sim/`.
//!
//! It depends only on the wire types of `x` and on `domain`.

mod api;
mod auth;
mod control;
mod error;
mod faults;
pub mod generator;
mod limits;
pub mod mailbox;
mod oauth;
mod render;
mod state;
mod world;

use std::net::SocketAddr;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use limits::{Limit, LimitSettings};
pub use state::{SimOptions, SimState};

/// What a client needs to talk to a running simulator (`--credentials-out`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub base_url: String,
    /// App-only bearer token.
    pub bearer_token: String,
    /// The confidential OAuth 2.0 client.
    pub client_id: String,
    pub client_secret: String,
    /// A public OAuth 2.0 client (PKCE, no secret) of the same app.
    pub public_client_id: String,
    /// Consumer key and secret for `client_credentials`.
    pub api_key: String,
    pub api_secret: String,
    pub council: Account,
    /// A ready user-context token pair for the council account.
    pub user_access_token: String,
    pub refresh_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Account {
    pub id: String,
    pub username: String,
}

/// A running simulator.
pub struct SimServer {
    pub addr: SocketAddr,
    pub state: SimState,
    pub credentials: Credentials,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl SimServer {
    /// Builds the world (accounts and backlog), binds `listen` (port 0 for an
    /// ephemeral port) and starts serving and the live post stream.
    pub async fn start(options: SimOptions, listen: SocketAddr) -> anyhow::Result<SimServer> {
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding the simulator to {listen}"))?;
        let addr = listener.local_addr()?;
        let state = SimState::build(options, format!("http://{addr}"));
        let credentials = state.credentials();
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let app = api::router(state.clone());
        let stop = shutdown.clone();
        tasks.spawn(async move {
            let serve = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move { stop.cancelled().await });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "simulator server failed");
            }
        });
        tasks.spawn(state.clone().run_live_stream(shutdown.clone()));
        tasks.close();
        Ok(SimServer {
            addr,
            state,
            credentials,
            shutdown,
            tasks,
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and waits for in-flight requests.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.tasks.wait().await;
    }

    /// Runs until `shutdown` is cancelled.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) {
        shutdown.cancelled().await;
        self.stop().await;
    }
}
