//! Wiring: one clear path from a validated `Config` to running tasks.
//! `App::build` opens the store, builds the X client, works out who the council
//! account is, plans the monitors and binds the HTTP listener; `run_until_stopped`
//! runs the poller and the HTTP endpoints until shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::config::Config;
use crate::domain::query::KeywordSet;
use crate::domain::triage::{Council, RuleSet};
use crate::poller::health::Health;
use crate::poller::ingest::Tagger;
use crate::poller::plan::plan;
use crate::poller::spool::Spool;
use crate::poller::{Poller, Settings};
use crate::store::Store;
use crate::web::{self, Desk};
use crate::x::auth::{self, UserSession};
use crate::x::{Client, UserAuth};

/// The store's file name in the data directory.
pub const DB_FILE: &str = "placewatch.db";

/// Opens the store of a config's data directory, which is made owner-only
/// (0700): it holds officers' password hashes, sessions and residents' posts.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    crate::files::private_dir(&config.data.dir)
        .with_context(|| format!("creating the data directory {}", config.data.dir.display()))?;
    let path = config.data.dir.join(DB_FILE);
    Store::open(&path)
        .await
        .with_context(|| format!("opening the store {}", path.display()))
}

/// Builds the X client: app-only bearer for reads, the council's session (if
/// logged in) for its own timelines and replies.
pub async fn x_client(config: &Config) -> anyhow::Result<(Client, Option<UserSession>)> {
    x_client_with_env(config, &auth::process_env).await
}

/// [`x_client`], reading secrets' environment variables through `env`.
pub async fn x_client_with_env(
    config: &Config,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> anyhow::Result<(Client, Option<UserSession>)> {
    let http = reqwest::Client::builder()
        .user_agent(crate::x::client::USER_AGENT)
        .build()?;
    let bearer = auth::app_bearer_with_env(config, &http, env).await?;
    let session = UserSession::open_with_env(config, env)?;
    let mut builder = Client::builder(config.x.api_base.clone(), bearer)
        .timeouts(config.x.connect_timeout, config.x.request_timeout);
    if let Some(s) = &session {
        builder = builder.user(UserAuth::Session(s.clone()));
    }
    Ok((builder.build()?, session))
}

/// A built daemon, ready to run.
pub struct App {
    pub poller: Poller,
    /// The reply outbox, when the council account is logged in.
    pub outbox: Option<crate::reply::Outbox>,
    /// The account placewatch reads for and replies from.
    pub council: Council,
    pub config: Arc<Config>,
    /// Where the desk, `/metrics` and `/healthz` are served.
    pub listener: Option<TcpListener>,
    pub addr: Option<SocketAddr>,
}

impl App {
    /// Builds everything `placewatch run` needs. `listen` serves the desk,
    /// `/metrics` and `/healthz`.
    pub async fn build(config: &Config, listen: Option<SocketAddr>) -> anyhow::Result<App> {
        Self::build_with_env(config, listen, &auth::process_env).await
    }

    /// [`App::build`], reading secrets' environment variables through `env`
    /// (`placewatch demo` hands in the simulator's).
    pub async fn build_with_env(
        config: &Config,
        listen: Option<SocketAddr>,
        env: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> anyhow::Result<App> {
        let store = open_store(config).await?;
        let (client, session) = x_client_with_env(config, env).await?;
        let council = match &session {
            Some(s) if s.status().refused.is_none() => {
                let account = s.account();
                Council {
                    id: account
                        .id
                        .parse()
                        .context("the stored account id is not numeric")?,
                    handle: account.username,
                }
            }
            _ => {
                warn!(
                    "the council account is not logged in (or its login was refused): mentions are searched at full price and replies are unavailable; run `placewatch auth login --config {}`",
                    config.source.display()
                );
                Council {
                    id: 0,
                    handle: config.council.handle.clone(),
                }
            }
        };
        let mentions_timeline = council.id != 0;
        let outbox = mentions_timeline
            .then(|| crate::reply::Outbox::new(client.clone(), store.clone(), council.clone()));
        let app_council = council.clone();
        let monitors = plan(config, &council, mentions_timeline)
            .context("packing the place names into queries")?;
        let rules =
            RuleSet::new(&config.rules).map_err(|(i, m)| anyhow::anyhow!("rule {i}: {m}"))?;
        let tagger = Tagger {
            places: KeywordSet::new(config.monitor.places.clone()),
            abuse: config.triage.abuse.clone(),
            false_friend_words: config.false_friend_words(),
            rules,
            council,
        };
        let settings = Settings {
            min_interval: config.monitor.min_interval,
            max_interval: config.monitor.max_interval,
            backfill: std::time::Duration::from_secs(
                u64::from(config.monitor.backfill_days) * 86_400,
            ),
            monthly_post_reads: config.budget.monthly_read_cap(),
            warn_at_percent: config.budget.warn_at_percent,
            status_file: Some(config.data.dir.join(crate::poller::health::STATUS_FILE)),
        };
        for m in &monitors {
            info!(monitor = %m.key, places = m.places.len(), "monitor planned");
        }
        let spool = Spool::open(&config.data.dir)
            .with_context(|| format!("opening the page spool in {}", config.data.dir.display()))?;
        let keys: Vec<&str> = monitors.iter().map(|m| m.key.as_str()).collect();
        let dropped = spool
            .retain(&keys)
            .with_context(|| format!("tidying the page spool in {}", config.data.dir.display()))?;
        if dropped > 0 {
            info!(
                monitors = dropped,
                "dropped the spooled pages of queries no longer configured"
            );
        }
        let poller = Poller {
            client,
            store,
            tagger: Arc::new(tagger),
            monitors,
            settings,
            health: Health::default(),
            spool: Some(spool),
            reads: Default::default(),
        };
        let (listener, addr) = match listen {
            Some(addr) => {
                let l = TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding {addr}"))?;
                let addr = l.local_addr()?;
                (Some(l), Some(addr))
            }
            None => (None, None),
        };
        Ok(App {
            poller,
            outbox,
            council: app_council,
            config: Arc::new(config.clone()),
            listener,
            addr,
        })
    }

    /// Runs the poller, the outbox and the desk until `shutdown` fires.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let server = self.listener.zip(self.addr).map(|(listener, addr)| {
            let desk = Desk::new(
                self.poller.store.clone(),
                self.outbox.clone(),
                self.council.clone(),
                self.config.clone(),
                self.poller.health.clone(),
                addr,
                shutdown.clone(),
            );
            tokio::spawn(web::serve(listener, web::router(desk), shutdown.clone()))
        });
        let store = self.poller.store.clone();
        let replies = self.outbox.map(|mut outbox| {
            outbox.in_flight_grace = self.config.replies.in_flight_grace;
            let every = crate::reply::Schedule {
                stuck: self.config.replies.reconcile_interval,
                manual: self.poller.settings.max_interval,
            };
            tokio::spawn(outbox.run_until_stopped(every, shutdown.clone()))
        });
        self.poller.run_until_stopped(shutdown).await;
        if let Some(replies) = replies {
            replies.await?;
        }
        if let Some(server) = server {
            server.await??;
        }
        store.close().await;
        Ok(())
    }
}
