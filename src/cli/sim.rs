//! `placewatch sim`: the simulated X API v2 server on its own.

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use super::{Failure, block_on};
use crate::config::{Config, ConfigError};
use crate::sim::{SimOptions, SimServer};

#[derive(Debug, clap::Args)]
pub struct SimArgs {
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

pub fn run(args: SimArgs) -> Result<(), Failure> {
    let options = options(&args)?;
    block_on(serve(args, options))
}

/// The simulator's options for a config: its council, place names, query
/// length and `[sim]` settings.
pub(super) fn options_for(config: &Config) -> SimOptions {
    SimOptions {
        places: config
            .monitor
            .places
            .iter()
            .map(|p| p.to_string())
            .collect(),
        council_handle: config.council.handle.clone(),
        council_name: config.council.name.clone(),
        query_max_len: config.x.query_max_len,
        seed: config.sim.seed,
        rate_per_min: config.sim.rate_per_min,
        backlog_days: config.sim.backlog_days,
        ..SimOptions::default()
    }
}

fn options(args: &SimArgs) -> Result<SimOptions, ConfigError> {
    let mut options = match &args.config {
        Some(path) => options_for(&Config::load(path)?),
        None => SimOptions::default(),
    };
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

async fn serve(args: SimArgs, options: SimOptions) -> anyhow::Result<()> {
    let server = SimServer::start(options, args.listen).await?;
    let credentials = &server.credentials;
    if let Some(path) = &args.credentials_out {
        let json = serde_json::to_vec_pretty(credentials)?;
        crate::files::write_private(path, &json)
            .map_err(|e| anyhow::anyhow!("writing credentials to {}: {e}", path.display()))?;
        tracing::info!(path = %path.display(), "credentials written");
    }
    let base = server.base_url();
    println!("Simulated X API v2 listening on {base}");
    println!(
        "  council account: @{} (id {})",
        credentials.council.username, credentials.council.id
    );
    println!("  posts in backlog: {}", server.state.post_count());
    println!("  try:");
    println!("    TOKEN=$(curl -s {base}/_sim/credentials | jq -r .bearer_token)");
    println!(
        "    curl -H \"Authorization: Bearer $TOKEN\" '{base}/2/tweets/search/recent?query=Croydon&max_results=100'"
    );
    let shutdown = CancellationToken::new();
    super::stop_on_signal(shutdown.clone(), "stopping the simulator");
    server.run_until_stopped(shutdown).await;
    tracing::info!("simulator stopped");
    Ok(())
}
