//! The command line: parses arguments with clap, sets up logging, runs the
//! chosen command and maps its outcome to an exit code (0 success, 1 runtime
//! failure, 2 usage or config error).

mod auth;
mod demo;
mod mail;
mod officer;
mod outbox;
mod reply;
mod report;
mod sim;
mod status;
mod store;
mod teams;
mod templates;
mod triage;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, ConfigError, LogFormat};

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
    /// Run the monitoring daemon against the API named in the config.
    Run {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Serve the officers' desk here (/metrics and /healthz: desk.monitoring_listen).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Run the simulated X API v2 server.
    Sim(sim::SimArgs),
    /// Manage the desk's officers (accounts and roles).
    Officer(officer::OfficerArgs),
    /// Show the whole product on this machine: simulator, daemon and desk, with demo logins.
    Demo(demo::DemoArgs),
    /// Load and validate a config file and print the effective config (secrets masked).
    CheckConfig {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Log the council account in, show its state, or log it out.
    Auth(auth::AuthArgs),
    /// Queries, cursors, rate limits, budget, token state and recent errors.
    Status {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The triage list from the terminal.
    Triage(triage::TriageArgs),
    /// The reply outbox: list, retry, cancel, approve, reconcile.
    Outbox(outbox::OutboxArgs),
    /// The audit log, newest first.
    Audit(outbox::AuditArgs),
    /// Dry-run the config's rules over stored posts.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// The reply templates: list them, or preview one for an item.
    Templates(templates::TemplatesArgs),
    /// Check a draft reply: weighted length, whether X would accept it, cost.
    Reply(reply::ReplyArgs),
    /// Email: send a test message through the configured SMTP server.
    Mail(mail::MailArgs),
    /// The teams items are assigned and referred to.
    Teams(teams::TeamsArgs),
    /// The manager's report of a period: volumes, outcomes, speed, spend.
    Report(report::ReportArgs),
    /// The store: its schema version, pending migrations and size.
    Store(store::StoreArgs),
    /// A consistent copy of the store, taken while the daemon runs.
    Backup(store::BackupArgs),
    /// Put a backup in place of the store (the daemon stopped).
    Restore(store::RestoreArgs),
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Show what the rules would do to stored posts, changing nothing.
    Test {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// At most this many stored posts, oldest first.
        #[arg(long, default_value_t = u32::MAX)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

/// A failure and the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Runtime(#[from] anyhow::Error),
    /// Arguments that parse but make no sense together (exit code 2).
    #[error("{0}")]
    Usage(String),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Logs go to standard error (journald takes them from there under
/// systemd): as text, in colour only on a terminal and never when
/// `NO_COLOR` is set (no-color.org), so a log file or the journal holds
/// plain text; or as one JSON object a line (`[log] format = "json"`).
fn init_tracing(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => log.json().flatten_event(true).init(),
        LogFormat::Text => {
            let colour = std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            log.with_ansi(colour).init();
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    // The daemon logs as its config says; every other command as text.
    if let Command::Run { config, listen } = cli.command {
        let config = Config::load(&config)?;
        init_tracing(config.log.format);
        return block_on(run_daemon(config, listen));
    }
    init_tracing(LogFormat::Text);
    match cli.command {
        Command::CheckConfig { config } => {
            let config = Config::load(&config)?;
            print!("{}", config.render_effective());
            Ok(())
        }
        Command::Sim(args) => sim::run(args),
        Command::Officer(args) => officer::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Run { .. } => unreachable!("run is handled above"),
        Command::Auth(args) => auth::run(args),
        Command::Status { config, json } => {
            let config = Config::load(&config)?;
            block_on(status::run(config, json))
        }
        Command::Triage(args) => triage::run(args),
        Command::Outbox(args) => outbox::outbox(args),
        Command::Audit(args) => outbox::audit(args),
        Command::Rules {
            command:
                RulesCommand::Test {
                    config,
                    limit,
                    json,
                },
        } => {
            let config = Config::load(&config)?;
            block_on(triage::rules_test(config, limit, json))
        }
        Command::Templates(args) => templates::run(args),
        Command::Reply(args) => reply::run(args),
        Command::Mail(args) => mail::run(args),
        Command::Teams(args) => teams::run(args),
        Command::Report(args) => report::run(args),
        Command::Store(args) => store::run(args),
        Command::Backup(args) => store::backup(args),
        Command::Restore(args) => store::restore(args),
    }
}

/// Runs a future on a fresh multi-threaded runtime.
pub(crate) fn block_on<F: std::future::Future<Output = anyhow::Result<()>>>(
    f: F,
) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)?;
    runtime.block_on(f).map_err(Failure::Runtime)
}

async fn run_daemon(config: Config, listen: SocketAddr) -> anyhow::Result<()> {
    let secrets = crate::config::Secrets::from_process(&config);
    let app = crate::app::App::build(&config, &secrets, Some(listen)).await?;
    if let Some(addr) = app.addr {
        tracing::info!(%addr, "serving the desk on {addr}");
    }
    let shutdown = CancellationToken::new();
    stop_on_signal(
        shutdown.clone(),
        "stopping: finishing the page and send in flight",
    );
    app.run_until_stopped(shutdown).await
}

/// Cancels `shutdown` at the first SIGINT or SIGTERM (logging `stopping`),
/// and exits the process at once on a second one. The handlers are in
/// place when this returns, so a Ctrl-C right after the "Press Ctrl-C" line
/// printed after it already stops cleanly.
pub(crate) fn stop_on_signal(shutdown: CancellationToken, stopping: &'static str) {
    let mut signals = Signals::install();
    tokio::spawn(async move {
        signals.next().await;
        tracing::info!("{stopping} (a second Ctrl-C exits at once)");
        shutdown.cancel();
        signals.next().await;
        tracing::warn!("second signal: exiting without waiting");
        std::process::exit(130);
    });
}

/// SIGINT and SIGTERM, caught from the moment [`Signals::install`] returns.
pub struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Catches SIGINT and SIGTERM from now on (inside a Tokio runtime).
    pub fn install() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            interrupt: signal(SignalKind::interrupt()).expect("installing the SIGINT handler"),
            terminate: signal(SignalKind::terminate()).expect("installing the SIGTERM handler"),
        }
    }

    /// Resolves at the next SIGINT or SIGTERM.
    pub async fn next(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// Makes untrusted text safe to print on a terminal: control, bidi and
/// zero-width characters are shown as `\u{…}` escapes instead of acting.
pub(crate) fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let invisible = c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}');
        if invisible && c != '\n' {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn terminal_safe_escapes_controls_and_bidi() {
        assert_eq!(
            super::terminal_safe("a\u{202e}b\u{200b}\x1b[31m"),
            "a\\u{202e}b\\u{200b}\\u{1b}[31m"
        );
        assert_eq!(super::terminal_safe("Café 🚋\nok"), "Café 🚋\nok");
    }
}
