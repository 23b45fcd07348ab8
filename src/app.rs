//! Wiring: one clear path from a validated `Config` to running tasks.
//! `App::build` opens the store, builds the X client, works out who the council
//! account is, plans the monitors and binds the HTTP listener; `run_until_stopped`
//! runs the poller, the outbox and the desk as one until shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::config::{ClientType, Config, Database, Secrets};
use crate::domain::triage::Council;
use crate::mail::Mailer;
use crate::poller::Poller;
use crate::store::Store;
use crate::web::{self, Desk};
use crate::x::auth::{
    self, AppCredentials, AuthSettings, OAuthClientKind, TokenPlace, UserSession,
};
use crate::x::{Client, UserAuth};

/// How long the poller, the outbox and the desk get to finish once stopping.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(30);

/// How often the referral sender looks for emails to send (one indexed
/// query when none are due).
const REFERRAL_PASS_EVERY: Duration = Duration::from_secs(1);

/// The store's file name in the data directory.
pub const DB_FILE: &str = crate::config::DB_FILE;

/// Opens the store the config's `[store]` names: by default the SQLite file
/// in its data directory, which is made owner-only (0700) as it holds
/// officers' password hashes, sessions and residents' posts; or PostgreSQL,
/// with the password from the variable `store.password_env` names.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    crate::files::private_dir(&config.data.dir)
        .with_context(|| format!("creating the data directory {}", config.data.dir.display()))?;
    match &config.store.database {
        Database::Sqlite(path) => Store::open(path)
            .await
            .with_context(|| format!("opening the store {}", path.display())),
        Database::Postgres(url) => {
            let password = match &config.store.password_env {
                None => None,
                Some(var) => Some(Secrets::from_process(config).store_password.with_context(
                    || format!("store.password_env names {var}, which is not set"),
                )?),
            };
            Store::connect(url.as_str(), password.as_ref())
                .await
                .context("opening the PostgreSQL store (store.url)")
        }
    }
}

/// Brings the store's teams in line with the config's `[[teams]]` (see
/// `Store::sync_config_teams`), logging what changed. A member no officer
/// has is a warning, not an error: officers may be added after the config.
pub async fn sync_teams(store: &Store, config: &Config) -> anyhow::Result<()> {
    let sync = store
        .sync_config_teams(&config.teams)
        .await
        .context("copying the config's [[teams]] into the store")?;
    for name in &sync.added {
        info!(team.name = %name, "team added from the config");
    }
    for name in &sync.updated {
        info!(team.name = %name, "team updated from the config");
    }
    for name in &sync.unmarked {
        info!(team.name = %name, "team no longer in the config: kept, now managed in the desk");
    }
    for (team, username) in &sync.unknown_members {
        warn!(
            team.name = %team,
            officer.name = %username,
            "a team member in the config is not an officer (yet); add them with `placewatch officer add`"
        );
    }
    Ok(())
}

/// What `x::auth` needs, from the config, the secrets read at start-up and
/// where the council's tokens are kept ([`token_place`]).
pub fn auth_settings(config: &Config, secrets: &Secrets, tokens: TokenPlace) -> AuthSettings {
    let x = &config.x;
    AuthSettings {
        api_base: x.api_base.clone(),
        authorize_url: x.authorize_url.clone(),
        redirect_uri: x.redirect_uri.clone(),
        client_id: x.client_id.clone(),
        client: match x.client_type {
            ClientType::Public => OAuthClientKind::Public,
            ClientType::Confidential => OAuthClientKind::Confidential {
                secret: secrets.client_secret.clone(),
                var: x.client_secret_env.clone(),
            },
        },
        council_handle: config.council.handle.clone(),
        tokens,
        request_timeout: x.request_timeout,
        connect_timeout: x.connect_timeout,
        app: AppCredentials {
            bearer_token: secrets.bearer_token.clone(),
            api_key_pair: secrets.api_key_pair.clone(),
            bearer_var: x.bearer_token_env.clone(),
            key_var: x.api_key_env.clone(),
            secret_var: x.api_secret_env.clone(),
        },
        login_command: format!("placewatch auth login --config {}", config.source.display()),
    }
}

/// Where the council's tokens are kept for a command that has not opened
/// the store: the data directory's token file with SQLite, without opening
/// the store; the store itself with PostgreSQL (see `x::auth::TokenPlace`).
pub async fn token_place(config: &Config) -> anyhow::Result<TokenPlace> {
    match &config.store.database {
        Database::Sqlite(_) => Ok(TokenPlace::File(config.data.dir.clone())),
        Database::Postgres(_) => Ok(TokenPlace::of(&config.data.dir, &open_store(config).await?)),
    }
}

/// Builds the X client: app-only bearer for reads, the council's session (if
/// logged in) for its own timelines and replies, its tokens where `store`'s
/// deployment keeps them.
pub async fn x_client(
    config: &Config,
    secrets: &Secrets,
    store: &Store,
) -> anyhow::Result<(Client, Option<UserSession>)> {
    let tokens = TokenPlace::of(&config.data.dir, store);
    let settings = auth_settings(config, secrets, tokens);
    let http = reqwest::Client::builder()
        .user_agent(crate::x::client::USER_AGENT)
        .build()?;
    let bearer = auth::app_bearer(&settings, &http).await?;
    let session = UserSession::open(&settings).await?;
    let mut builder = Client::builder(config.x.api_base.clone(), bearer)
        .timeouts(config.x.connect_timeout, config.x.request_timeout);
    if let Some(s) = &session {
        builder = builder.user(UserAuth::Session(s.clone()));
    }
    Ok((builder.build()?, session))
}

/// The SMTP client `[mail]` describes, or `None` when email is off (no
/// `[mail]`). Fails when a login is configured without its password, or
/// `mail.ca_file` cannot be read.
pub fn mailer(config: &Config, secrets: &Secrets) -> anyhow::Result<Option<Mailer>> {
    let Some(mail) = &config.mail else {
        return Ok(None);
    };
    let mailer = Mailer::with_secrets(mail, &secrets.into())
        .with_context(|| format!("email settings of {}", config.source.display()))?;
    Ok(Some(mailer))
}

/// Where officers reach the desk, for links in channel messages: the
/// configured public URL, else the address it listens on (or localhost).
pub fn desk_url(config: &Config, addr: Option<SocketAddr>) -> url::Url {
    if let Some(url) = &config.desk.public_url {
        return url.clone();
    }
    let at = addr.map_or_else(|| "127.0.0.1:8080".to_string(), |a| a.to_string());
    url::Url::parse(&format!("http://{at}/")).expect("a socket address makes a URL")
}

/// Where emails link to: the configured public URL, else the address the
/// desk listens on when that is one officers can open (a loopback or named
/// address, as in `placewatch demo`); none for a desk on every address
/// (`0.0.0.0`) without a public URL, whose emails then name items only.
pub fn email_desk_url(config: &Config, addr: Option<SocketAddr>) -> Option<url::Url> {
    match (&config.desk.public_url, addr) {
        (Some(url), _) => Some(url.clone()),
        (None, Some(addr)) if !addr.ip().is_unspecified() => Some(desk_url(config, Some(addr))),
        (None, _) => None,
    }
}

/// The file a running daemon holds an exclusive lock on, in the data
/// directory (the lock goes with the process, however it ends).
pub const DAEMON_LOCK: &str = "placewatch.lock";

/// Takes the daemon's lock in `dir`, or says which daemon holds it.
fn hold_daemon_lock(dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    crate::files::private_dir(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))?;
    let path = dir.join(DAEMON_LOCK);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    crate::files::private_file_if_exists(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another placewatch daemon is running on {} (it holds {}): stop it first",
            dir.display(),
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// Whether a daemon is running on the data directory `dir` (holds its lock).
pub fn daemon_running(dir: &std::path::Path) -> std::io::Result<bool> {
    let path = dir.join(DAEMON_LOCK);
    let file = match std::fs::OpenOptions::new().write(true).open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    match file.try_lock() {
        Ok(()) => Ok(false),
        Err(std::fs::TryLockError::WouldBlock) => Ok(true),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// A built daemon, ready to run.
pub struct App {
    pub poller: Poller,
    /// The reply outbox, when the council account is logged in.
    pub outbox: Option<crate::reply::Outbox>,
    /// The referral sender, when `[mail]` is configured.
    pub referrals: Option<crate::referral::Sender>,
    /// The account placewatch reads for and replies from.
    pub council: Council,
    pub config: Arc<Config>,
    /// Where the desk is served.
    pub listener: Option<TcpListener>,
    pub addr: Option<SocketAddr>,
    /// Where `/metrics` and `/healthz` are served (`desk.monitoring_listen`).
    pub monitoring: Option<TcpListener>,
    pub monitoring_addr: Option<SocketAddr>,
    /// Opens them on the desk's address too (`desk.monitoring_token_env`).
    monitoring_token: Option<secrecy::SecretString>,
    /// The desk's own HTTPS (`desk.tls_cert_file`), checked at start.
    tls: Option<tokio_rustls::TlsAcceptor>,
    /// Held while this daemon runs (`DAEMON_LOCK` in the data directory), so
    /// that `placewatch restore` never replaces a store in use.
    _running: std::fs::File,
    /// Sends notification emails (one connection a message, so it is
    /// shared with the referral sender); `None` without `[mail]`.
    pub mailer: Option<Arc<Mailer>>,
    /// Posts queued channel messages to teams' webhooks.
    pub channels: crate::channels::Sender,
    /// Looks for spikes of posts.
    pub spikes: crate::channels::spikes::SpikeWatch,
    /// What notification emails link to ([`email_desk_url`]).
    pub email_url: Option<url::Url>,
}

impl App {
    /// Builds everything `placewatch run` needs, with the secrets read at
    /// start-up. `listen` serves the desk; `/metrics` and `/healthz` are
    /// served where `desk.monitoring_listen` says.
    pub async fn build(
        config: &Config,
        secrets: &Secrets,
        listen: Option<SocketAddr>,
    ) -> anyhow::Result<App> {
        let running = hold_daemon_lock(&config.data.dir)?;
        let mailer = mailer(config, secrets)?.map(Arc::new);
        if mailer.is_none() {
            warn!(
                "no [mail] settings in {}: referrals are recorded but their emails (and notification emails) wait until email is configured",
                config.source.display()
            );
        }
        let store = open_store(config).await?;
        sync_teams(&store, config).await?;
        let (client, session) = x_client(config, secrets, &store).await?;
        let status = session.as_ref().map(UserSession::status);
        let council = auth::council(status.as_ref(), &config.council.handle);
        if council.account().is_none() {
            warn!(
                "the council account is not logged in (or its login was refused): mentions are searched at full price and replies are unavailable; run `placewatch auth login --config {}`",
                config.source.display()
            );
        }
        let outbox = council.account().map(|account| {
            crate::reply::Outbox::new(client.clone(), store.clone(), account.clone())
        });
        let channels =
            crate::channels::Sender::new(store.clone(), Arc::new(secrets.webhooks.clone()))?;
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
        let tls = config
            .desk
            .tls
            .as_ref()
            .map(web::tls_acceptor)
            .transpose()
            .context("the desk's certificate")?;
        let (monitoring, monitoring_addr) = match config.desk.monitoring_listen {
            Some(addr) => {
                let l = TcpListener::bind(addr).await.with_context(|| {
                    format!("binding {addr} for /metrics and /healthz (desk.monitoring_listen)")
                })?;
                let addr = l.local_addr()?;
                info!(monitoring.address = %addr, "serving /metrics and /healthz");
                (Some(l), Some(addr))
            }
            None => (None, None),
        };
        store.set_desk_url(&desk_url(config, addr));
        let email_url = email_desk_url(config, addr);
        let referrals = mailer.clone().map(|mailer| crate::referral::Sender {
            store: store.clone(),
            mailer,
            council: config.council.name.clone(),
            desk_url: email_url.clone(),
        });
        let spikes = crate::channels::spikes::SpikeWatch::new(
            store.clone(),
            &config.alerts,
            desk_url(config, addr),
        );
        let poller = Poller::new(client, store, config, &council)?;
        Ok(App {
            channels,
            spikes,
            poller,
            outbox,
            referrals,
            council,
            config: Arc::new(config.clone()),
            listener,
            addr,
            monitoring,
            monitoring_addr,
            monitoring_token: secrets.monitoring_token.clone(),
            tls,
            _running: running,
            mailer,
            email_url,
        })
    }

    /// Runs the poller, the outbox and the desk as one, until `shutdown`
    /// fires or one of them ends on its own (the desk failing to serve, a
    /// panic), which stops the others at once and is the error returned.
    /// Then everything still running gets [`DRAIN_DEADLINE`] to finish
    /// (the poller its page in flight, the outbox its send, the desk its
    /// requests) before it is abandoned.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let store = self.poller.store.clone();
        let mut tasks: JoinSet<Task> = JoinSet::new();
        if let (Some(listener), Some(addr)) = (self.listener, self.addr) {
            let tls = self.tls.clone();
            let mut desk = Desk::new(
                store.clone(),
                self.outbox.clone(),
                self.council.clone(),
                self.config.clone(),
                self.poller.health.clone(),
                addr,
                shutdown.clone(),
            );
            desk.monitoring_token = self.monitoring_token.clone();
            let stop = shutdown.clone();
            tasks.spawn(async move {
                let served = web::serve(listener, web::router(desk), stop, tls).await;
                (
                    "desk",
                    served.with_context(|| format!("serving the desk on {addr}")),
                )
            });
        }
        if let (Some(listener), Some(addr)) = (self.monitoring, self.monitoring_addr) {
            let router = web::monitoring_router(self.poller.health.clone());
            let stop = shutdown.clone();
            tasks.spawn(async move {
                let served = web::serve(listener, router, stop, None).await;
                (
                    "monitoring",
                    served.with_context(|| format!("serving /metrics and /healthz on {addr}")),
                )
            });
        }
        let weekly = self.mailer.clone().and_then(|mailer| {
            (!self.config.reports.weekly_to.is_empty()).then(|| crate::reports::weekly::Weekly {
                store: store.clone(),
                mailer,
                config: self.config.clone(),
                desk_url: self.email_url.clone(),
            })
        });
        let delivery = self.mailer.map(|mailer| crate::notify::Delivery {
            store: store.clone(),
            mailer,
            council: self.config.council.name.clone(),
            desk_url: self.email_url.clone(),
        });
        let work = Work {
            poller: self.poller,
            outbox: self.outbox,
            referrals: self.referrals,
            weekly,
            delivery,
            channels: self.channels,
            spikes: self.spikes,
            config: self.config.clone(),
        };
        let lease = crate::replica::Lease {
            store: store.clone(),
            me: crate::replica::Identity::of_this_process(&self.config.data.dir),
            timing: self.config.store.lease,
        };
        let stop = shutdown.clone();
        tasks.spawn(async move { ("work", work.run_under_lease(lease, stop).await) });

        let outcome = run_as_one(tasks, &shutdown, DRAIN_DEADLINE).await;
        store.close().await;
        outcome
    }
}

/// The work only the replica holding the work lease does (see `replica`):
/// polling X, sending replies, referrals, notifications, channel messages
/// and the weekly report, and watching for spikes.
#[derive(Clone)]
struct Work {
    poller: Poller,
    outbox: Option<crate::reply::Outbox>,
    referrals: Option<crate::referral::Sender>,
    weekly: Option<crate::reports::weekly::Weekly>,
    delivery: Option<crate::notify::Delivery>,
    channels: crate::channels::Sender,
    spikes: crate::channels::spikes::SpikeWatch,
    config: Arc<Config>,
}

impl Work {
    /// Runs the work in every term this replica holds the lease, until
    /// `shutdown`: a lost lease stops it (abandoning what does not stop
    /// within the lease's margin) and this replica waits to hold it again.
    /// On shutdown the work drains for [`DRAIN_DEADLINE`] while the lease is
    /// still renewed, then the lease is given up for another replica.
    async fn run_under_lease(
        self,
        lease: crate::replica::Lease,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let health = self.poller.health.clone();
        while let Some(term) = lease.acquire(&shutdown).await {
            health.set_lease_held(true);
            if !term.keep_spool
                && let Some(spool) = &self.poller.spool
            {
                // Another replica held the lease since this one read these
                // pages: it may have moved the cursors past them.
                spool.clear().context("clearing the page spool")?;
            }
            let tasks = self.clone().spawn(&term.stop);
            let margin = lease.timing.margin();
            let outcome = tokio::select! {
                outcome = run_as_one(tasks, &term.stop, DRAIN_DEADLINE) => outcome,
                // Lost: what has not stopped within the margin is dropped
                // (aborted) with the tasks, before another replica may start.
                () = async {
                    term.lost.cancelled().await;
                    tokio::time::sleep(margin / 2).await;
                } => Ok(()),
            };
            term.end().await;
            health.set_lease_held(false);
            outcome?;
            if shutdown.is_cancelled() {
                lease.release().await;
                break;
            }
        }
        Ok(())
    }

    /// Starts the work's tasks, each running until `stop`.
    fn spawn(self, stop: &CancellationToken) -> JoinSet<Task> {
        let mut tasks = JoinSet::new();
        if let Some(mut outbox) = self.outbox {
            outbox.in_flight_grace = self.config.replies.in_flight_grace;
            let every = crate::reply::Schedule {
                stuck: self.config.replies.reconcile_interval,
                manual: self.config.replies.manual_check_interval,
            };
            let stop = stop.clone();
            tasks.spawn(async move {
                outbox.run_until_stopped(every, stop).await;
                ("outbox", Ok(()))
            });
        }
        if let Some(referrals) = self.referrals {
            let stop = stop.clone();
            tasks.spawn(async move {
                referrals.run_until_stopped(REFERRAL_PASS_EVERY, stop).await;
                ("referral sender", Ok(()))
            });
        }
        if let Some(weekly) = self.weekly {
            let stop = stop.clone();
            tasks.spawn(async move {
                weekly.run_until_stopped(stop).await;
                ("weekly report", Ok(()))
            });
        }
        if let Some(delivery) = self.delivery {
            let stop = stop.clone();
            tasks.spawn(async move {
                delivery
                    .run_until_stopped(crate::notify::ROUND_EVERY, stop)
                    .await;
                ("notifications", Ok(()))
            });
        }
        let (sender, stopped) = (self.channels, stop.clone());
        tasks.spawn(async move {
            sender
                .run_until_stopped(crate::channels::POLL_INTERVAL, stopped)
                .await;
            ("channel sender", Ok(()))
        });
        let (spikes, stopped) = (self.spikes, stop.clone());
        let every = self.config.alerts.check_interval;
        tasks.spawn(async move {
            spikes.run_until_stopped(every, stopped).await;
            ("spike watch", Ok(()))
        });
        let (poller, stopped) = (self.poller, stop.clone());
        tasks.spawn(async move {
            poller.run_until_stopped(stopped).await;
            ("poller", Ok(()))
        });
        tasks
    }
}

/// A task of the daemon: its name and how it ended.
type Task = (&'static str, anyhow::Result<()>);

/// Waits for `shutdown`, or for a task to end on its own (an error: nothing
/// ends before shutdown unless something went wrong), which cancels
/// `shutdown` for the others; then gives the tasks still running `deadline`
/// to finish and abandons the rest. The first task's failure is the result.
async fn run_as_one(
    mut tasks: JoinSet<Task>,
    shutdown: &CancellationToken,
    deadline: Duration,
) -> anyhow::Result<()> {
    let mut outcome = Ok(());
    tokio::select! {
        // Shutdown first: tasks end because of it, and that is no failure.
        biased;
        () = shutdown.cancelled() => {}
        Some(ended) = tasks.join_next() => {
            let failure = match ended {
                Ok((task, Err(e))) => Some(e.context(format!("the {task} failed"))),
                // Stopped by a shutdown that began after the check above.
                Ok((_, Ok(()))) if shutdown.is_cancelled() => None,
                Ok((task, Ok(()))) => Some(anyhow::anyhow!("the {task} stopped on its own")),
                Err(e) => Some(anyhow::anyhow!("a task panicked: {e}")),
            };
            if let Some(failure) = failure {
                error!(error = format!("{failure:#}"), "stopping everything");
                outcome = Err(failure);
            }
            shutdown.cancel();
        }
    }
    let drained = tokio::time::timeout(deadline, async {
        while let Some(ended) = tasks.join_next().await {
            match ended {
                Ok((_, Ok(()))) => {}
                Ok((task, Err(e))) => {
                    warn!(task, error = format!("{e:#}"), "failed while stopping")
                }
                Err(e) => warn!(error = %e, "a task panicked while stopping"),
            }
        }
    })
    .await;
    if drained.is_err() {
        warn!(
            tasks = tasks.len(),
            "still running {} s after the stop began: abandoned",
            deadline.as_secs()
        );
        tasks.abort_all();
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task that runs until `stop`, taking `linger` to finish afterwards.
    fn until_stopped(
        name: &'static str,
        stop: &CancellationToken,
        linger: Duration,
    ) -> impl Future<Output = Task> + use<> {
        let stop = stop.clone();
        async move {
            stop.cancelled().await;
            tokio::time::sleep(linger).await;
            (name, Ok(()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_fails_stops_the_others_and_is_the_error() {
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        tasks.spawn(until_stopped("poller", &shutdown, Duration::from_secs(1)));
        tasks.spawn(async { ("desk", Err(anyhow::anyhow!("address in use"))) });
        let outcome = run_as_one(tasks, &shutdown, DRAIN_DEADLINE).await;
        let message = format!("{:#}", outcome.unwrap_err());
        assert_eq!(message, "the desk failed: address in use");
        assert!(shutdown.is_cancelled(), "the others were told to stop");
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_drains_within_the_deadline_and_abandons_the_rest() {
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        tasks.spawn(until_stopped("outbox", &shutdown, Duration::from_secs(5)));
        tasks.spawn(until_stopped(
            "poller",
            &shutdown,
            Duration::from_secs(3600),
        ));
        shutdown.cancel();
        let started = tokio::time::Instant::now();
        run_as_one(tasks, &shutdown, DRAIN_DEADLINE).await.unwrap();
        assert_eq!(
            started.elapsed(),
            DRAIN_DEADLINE,
            "the slow one is abandoned"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn tasks_ending_because_of_the_shutdown_are_no_failure() {
        for _ in 0..50 {
            let shutdown = CancellationToken::new();
            let mut tasks = JoinSet::new();
            for name in ["poller", "outbox", "desk"] {
                tasks.spawn(until_stopped(name, &shutdown, Duration::ZERO));
            }
            // The signal arrives while run_as_one is already waiting.
            let stop = shutdown.clone();
            tokio::spawn(async move { stop.cancel() });
            run_as_one(tasks, &shutdown, DRAIN_DEADLINE).await.unwrap();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_panics_is_an_error() {
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        tasks.spawn(until_stopped("poller", &shutdown, Duration::ZERO));
        tasks.spawn(async { panic!("bug") });
        let outcome = run_as_one(tasks, &shutdown, DRAIN_DEADLINE).await;
        assert!(format!("{:#}", outcome.unwrap_err()).contains("panicked"));
    }
}
