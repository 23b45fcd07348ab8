//! The command line: parses arguments with clap, sets up logging, runs the
//! chosen command and maps its outcome to an exit code (0 success, 1 runtime
//! failure, 2 usage or config error).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, ConfigError};
use crate::sim::{SimOptions, SimServer};

#[derive(Debug, Parser)]
#[command(
    name = "placewatch",
    version,
    about = "Keyword monitoring and reply desk for a council's X account"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the simulated X API v2 server.
    Sim(SimArgs),
    /// Load and validate a config file and print the effective config (secrets masked).
    CheckConfig {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct SimArgs {
    /// Address to listen on, e.g. 127.0.0.1:7070 (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:7070")]
    listen: SocketAddr,
    /// Seed of the post generator: the same seed gives the same posts.
    #[arg(long)]
    seed: Option<u64>,
    /// New posts per minute after start.
    #[arg(long, value_name = "POSTS_PER_MIN")]
    rate: Option<f64>,
    /// Days of generated history.
    #[arg(long)]
    backlog_days: Option<u32>,
    /// Backlog posts per day.
    #[arg(long)]
    backlog_per_day: Option<u32>,
    /// Take the council account and place names from this config.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Write base URL, tokens and client credentials as JSON to this file (mode 0600).
    #[arg(long, value_name = "FILE")]
    credentials_out: Option<PathBuf>,
    /// Approve OAuth consent without showing the page.
    #[arg(long)]
    auto_approve: bool,
    /// Enterprise access: no reply restriction, 4096-character queries.
    #[arg(long)]
    enterprise: bool,
    /// Access-token lifetime in seconds.
    #[arg(long, default_value_t = 7200)]
    token_ttl: u64,
}

/// A failure and the exit code it maps to.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Runtime(#[from] anyhow::Error),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::CheckConfig { config } => {
            let config = Config::load(&config)?;
            print!("{}", config.render_effective());
            Ok(())
        }
        Command::Sim(args) => {
            let options = sim_options(&args)?;
            runtime()?.block_on(run_sim(args, options))?;
            Ok(())
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn sim_options(args: &SimArgs) -> Result<SimOptions, ConfigError> {
    let mut options = SimOptions::default();
    if let Some(path) = &args.config {
        let config = Config::load(path)?;
        options.places = config
            .monitor
            .places
            .iter()
            .map(|p| p.to_string())
            .collect();
        options.council_handle = config.council.handle.clone();
        options.council_name = config.council.name.clone();
        options.query_max_len = config.x.query_max_len;
        options.seed = config.sim.seed;
        options.rate_per_min = config.sim.rate_per_min;
        options.backlog_days = config.sim.backlog_days;
    }
    if let Some(seed) = args.seed {
        options.seed = seed;
    }
    if let Some(rate) = args.rate {
        options.rate_per_min = rate;
    }
    if let Some(days) = args.backlog_days {
        options.backlog_days = days;
    }
    if let Some(n) = args.backlog_per_day {
        options.backlog_per_day = n;
    }
    if args.enterprise {
        options.enterprise = true;
        options.query_max_len = options.query_max_len.max(4096);
    }
    options.auto_approve = args.auto_approve;
    options.token_ttl_secs = args.token_ttl;
    Ok(options)
}

async fn run_sim(args: SimArgs, options: SimOptions) -> anyhow::Result<()> {
    let server = SimServer::start(options, args.listen).await?;
    let credentials = &server.credentials;
    if let Some(path) = &args.credentials_out {
        let json = serde_json::to_vec_pretty(credentials)?;
        crate::files::write_private(path, &json)
            .map_err(|e| anyhow::anyhow!("writing credentials to {}: {e}", path.display()))?;
        tracing::info!(path = %path.display(), "credentials written");
    }
    let posts = server.state.post_count();
    println!("Simulated X API v2 listening on {}", server.base_url());
    println!(
        "  council account: @{} (id {})",
        credentials.council.username, credentials.council.id
    );
    println!("  posts in backlog: {posts}");
    let base = server.base_url();
    println!("  try:");
    println!("    TOKEN=$(curl -s {base}/_sim/credentials | jq -r .bearer_token)");
    println!(
        "    curl -H \"Authorization: Bearer $TOKEN\" '{base}/2/tweets/search/recent?query=Croydon&max_results=100'"
    );
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        stop.cancel();
    });
    server.run_until_stopped(shutdown).await;
    tracing::info!("simulator stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("installing the SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
