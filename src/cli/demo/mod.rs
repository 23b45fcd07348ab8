//! `placewatch demo`: the whole product on a fresh machine with no X account.
//! Starts the simulated X (seeded backlog, a live stream of a few posts a
//! minute, consent approved on its own), logs the council account in against
//! it through the real OAuth flow, creates demo officers, and runs the daemon
//! and the desk until Ctrl-C. The reference config (`config/placewatch.toml`,
//! built in) supplies the council, place names, rules, templates and the two
//! teams (the Streets team, whose members are the demo's sam and priya, and
//! the contractor CleanCo, who has none). Emails (referrals) go to a mail
//! catcher on loopback (`sim::mailbox`), whose page the demo prints.
//!
//! Before the desk opens, the demo reads the simulator's backlog (a poll of
//! each monitor) and seeds its officers' past week (`history`), so the
//! Reports page has figures to show, and the weekly report email is due at
//! start-up: the mail catcher holds one as soon as the desk is up.

mod history;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::{Failure, block_on};
use crate::app::{App, auth_settings, open_store};
use crate::config::{Config, Secrets};
use crate::domain::officer::Role;
use crate::sim::SimServer;
use crate::sim::mailbox::Mailbox;
use crate::store::NewOfficer;
use crate::web::auth::random_token;
use crate::web::hash_password;

/// The reference config, with the Croydon council, its places, rules and templates.
const REFERENCE_CONFIG: &str = include_str!("../../../config/placewatch.toml");

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the desk listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Keep the demo's database here (default: a temporary directory, removed on exit).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// New simulated posts per minute.
    #[arg(long, value_name = "POSTS_PER_MIN", default_value_t = 4.0)]
    rate: f64,
    /// Seed of the simulated posts.
    #[arg(long)]
    seed: Option<u64>,
    /// Leave every backlog item new: no seeded past week of officers'
    /// work (and no Reports figures until someone works).
    #[arg(long)]
    no_history: bool,
}

/// Who gets the weekly report email.
const MANAGER: &str = "comms-manager@croydon.gov.uk";

/// The demo's officers: username, display name, role.
const OFFICERS: &[(&str, &str, Role)] = &[
    ("sam", "Sam Patel", Role::Officer),
    ("priya", "Priya Shah", Role::Approver),
    ("alex", "Alex Morgan", Role::Admin),
    ("vic", "Vic Jones", Role::Viewer),
];

pub fn run(args: DemoArgs) -> Result<(), Failure> {
    block_on(demo(args))
}

async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let (data_dir, _temporary) = match &args.data {
        Some(dir) => {
            crate::files::private_dir(dir)
                .with_context(|| format!("creating the data directory {}", dir.display()))?;
            (std::path::absolute(dir)?, None)
        }
        None => {
            let temp = tempfile::Builder::new()
                .prefix("placewatch-demo-")
                .tempdir()?;
            crate::files::private_dir(temp.path())?;
            (temp.path().to_owned(), Some(temp))
        }
    };
    let config_path = data_dir.join("placewatch-demo.toml");
    let reference = Config::from_str_with_env(REFERENCE_CONFIG, &config_path, &|_| None)
        .context("the built-in reference config")?;

    let mut options = super::sim::options_for(&reference);
    options.auto_approve = true;
    options.rate_per_min = args.rate;
    // Most of a week of history, so the Reports page's "last 7 days" and the
    // weekly email have working days to show whatever day the demo starts
    // (X's recent search reaches back 7 days; a day less keeps clear of the edge).
    options.backlog_days = 6;
    if let Some(seed) = args.seed {
        options.seed = seed;
    }
    let sim_seed = options.seed;
    let sim = SimServer::start(options, "127.0.0.1:0".parse()?).await?;
    let base = sim.base_url();
    let creds = sim.credentials.clone();
    // Referral emails go to a catcher on this machine, not to anyone.
    let shutdown = CancellationToken::new();
    let mailbox = Mailbox::start(&data_dir.join("mail-catcher"), shutdown.clone()).await?;

    // The demo's settings, as the overrides a deployment would set in its
    // environment: the simulator instead of X, its public OAuth client and
    // app token, quick polling, and a read budget the simulator never bills.
    let (weekly_day, weekly_at) = due_now(OffsetDateTime::now_utc());
    let env: HashMap<String, String> = [
        ("PLACEWATCH__X__API_BASE", base.clone()),
        (
            "PLACEWATCH__X__AUTHORIZE_URL",
            format!("{base}/i/oauth2/authorize"),
        ),
        ("PLACEWATCH__X__CLIENT_ID", creds.public_client_id.clone()),
        ("PLACEWATCH__X__CLIENT_TYPE", "public".into()),
        ("PLACEWATCH__DATA__DIR", data_dir.display().to_string()),
        ("PLACEWATCH__MONITOR__MIN_INTERVAL_SECS", "5".into()),
        ("PLACEWATCH__MONITOR__MAX_INTERVAL_SECS", "20".into()),
        (
            "PLACEWATCH__REPLIES__MANUAL_CHECK_INTERVAL_SECS",
            "10".into(),
        ),
        ("PLACEWATCH__BUDGET__MONTHLY_POST_READS", "10000000".into()),
        ("PLACEWATCH__MAIL__SMTP_HOST", mailbox.smtp.ip().to_string()),
        (
            "PLACEWATCH__MAIL__SMTP_PORT",
            mailbox.smtp.port().to_string(),
        ),
        ("PLACEWATCH__MAIL__SECURITY", "none".into()),
        ("PLACEWATCH__MAIL__FROM", "comms-desk@croydon.gov.uk".into()),
        // /metrics and /healthz on a free loopback port (printed below).
        ("PLACEWATCH__DESK__MONITORING_LISTEN", "127.0.0.1:0".into()),
        // Spikes show on the inbox within seconds of a burst.
        ("PLACEWATCH__ALERTS__CHECK_INTERVAL_SECS", "5".into()),
        // The weekly report is due now: the manager's copy of last week.
        ("PLACEWATCH__REPORTS__WEEKLY_TO", format!("[{MANAGER:?}]")),
        ("PLACEWATCH__REPORTS__WEEKLY_DAY", weekly_day),
        ("PLACEWATCH__REPORTS__WEEKLY_AT", weekly_at),
        ("PLACEWATCH_BEARER_TOKEN", creds.bearer_token.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let env = move |name: &str| env.get(name).cloned();
    let config = Config::from_str_with_env(REFERENCE_CONFIG, &config_path, &env)
        .context("the demo's config")?;
    write_config(&config_path, &env)?;
    let secrets = Secrets::resolve(&config, &env);

    let store = open_store(&config).await?;
    let tokens = crate::x::auth::TokenPlace::of(&config.data.dir, &store);
    let account = crate::x::auth::login_auto_approved(&auth_settings(&config, &secrets, tokens))
        .await
        .context("logging the council account in to the simulator")?;
    let mut logins = Vec::new();
    for (username, name, role) in OFFICERS {
        let password = format!("demo-{}", &random_token()[..10]);
        let hashed = password.clone();
        let hash = tokio::task::spawn_blocking(move || hash_password(&hashed)).await?;
        let new = NewOfficer {
            username,
            display_name: name,
            role: *role,
            password_hash: &hash,
        };
        match store.add_officer(&new, "demo").await {
            Ok(_) => {}
            // A kept data directory already has them: give them new passwords.
            Err(crate::store::StoreError::Conflict(_)) => {
                store.set_officer_password(username, &hash, "demo").await?;
            }
            Err(e) => return Err(e.into()),
        }
        logins.push((*username, password, *role));
    }
    store.close().await;

    let app = App::build(&config, &secrets, Some(args.listen)).await?;
    let addr = app.addr.context("the desk's listener")?;
    let seeded = if args.no_history {
        None
    } else {
        Some(past_week(&app, &config, sim_seed, &shutdown).await?)
    };
    println!();
    println!("placewatch demo is running: nothing here talks to the real X.");
    println!();
    println!("  Desk:         http://{addr}/");
    println!("  Logins:");
    for (username, password, role) in &logins {
        println!("    {username:<6} password {password}   ({role})");
    }
    println!();
    println!(
        "  Simulated X:  {base} (council account @{}, {} posts of backlog, {} new a minute)",
        account.username,
        sim.state.post_count(),
        args.rate
    );
    if let Some(seeded) = seeded {
        println!(
            "  Last week:    {} replied through X, {} on x.com, {} referred, {} dismissed, {} in progress, {} waiting",
            seeded.replied_api,
            seeded.replied_manual,
            seeded.referred,
            seeded.dismissed,
            seeded.in_progress,
            seeded.waiting
        );
    }
    if let Some(monitoring) = app.monitoring_addr {
        println!("  Monitoring:   http://{monitoring}/healthz and /metrics");
    }
    println!("  Data:         {}", data_dir.display());
    println!(
        "  CLI:          placewatch triage list --config {}",
        config_path.display()
    );
    println!(
        "  Teams:        placewatch teams list --config {}",
        config_path.display()
    );
    println!(
        "  Mail catcher: http://{}/ (the emails the desk sends: referrals, and {MANAGER}'s weekly report)",
        mailbox.web
    );
    println!();
    super::stop_on_signal(shutdown.clone(), "stopping the demo");
    println!("Press Ctrl-C to stop.");

    let simulator = tokio::spawn(sim.run_until_stopped(shutdown.clone()));
    app.run_until_stopped(shutdown).await?;
    simulator.await?;
    mailbox.stopped().await;
    println!("placewatch demo stopped.");
    Ok(())
}

/// The weekly report's day and time (UK) that make it due at `now`.
fn due_now(now: OffsetDateTime) -> (String, String) {
    let uk = now.to_offset(crate::domain::notification::uk_offset(now));
    let day = uk.weekday().to_string().to_lowercase();
    (day, format!("{:02}:{:02}", uk.hour(), uk.minute()))
}

/// Reads the simulator's backlog (one poll of each monitor) and seeds the
/// officers' past week from it (`history`).
async fn past_week(
    app: &App,
    config: &Config,
    seed: u64,
    shutdown: &CancellationToken,
) -> anyhow::Result<history::Seeded> {
    for monitor in &app.poller.monitors {
        app.poller
            .poll_once(monitor, shutdown)
            .await
            .with_context(|| format!("reading the backlog of {}", monitor.key))?;
    }
    history::seed(
        &app.poller.store,
        app.outbox.as_ref(),
        config.office_hours(),
        &config.message_domain(),
        seed,
        OffsetDateTime::now_utc(),
    )
    .await
}

/// Writes the demo's config to `path` (in its data directory), so that the
/// CLI can be pointed at the running demo (`placewatch triage list --config
/// FILE`): the reference config with the demo's settings (`env`) written in.
/// The app token stays in the environment variable the reference config
/// names (commands that only read the store need none).
fn write_config(
    path: &std::path::Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<()> {
    let table =
        crate::config::table_with_env(REFERENCE_CONFIG, path, env).context("the demo's config")?;
    let text = format!(
        "# Written by `placewatch demo`: the reference config (config/placewatch.toml)\n\
         # with the demo's settings. Point the CLI at the running demo with\n\
         # `--config {}`.\n\n{}",
        path.display(),
        toml::to_string(&table).context("writing the demo's config")?
    );
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
