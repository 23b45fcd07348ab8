//! `placewatch auth login|status|logout`: the council account's OAuth 2.0 login.

use std::path::PathBuf;

use std::process::{Command, Stdio};

use super::{Failure, block_on};
use crate::app::{auth_settings, token_place};
use crate::config::{Config, Secrets};
use crate::x::auth::{self, AuthSettings, LoginOptions, OpenBrowser};

#[derive(Debug, clap::Args)]
pub struct AuthArgs {
    #[command(subcommand)]
    command: AuthCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AuthCommand {
    /// Log the council account in with OAuth 2.0 (PKCE) in a browser.
    Login {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Headless server: paste the redirect URL back instead of receiving it.
        #[arg(long)]
        paste: bool,
        /// Do not try to open a browser; just print the URL.
        #[arg(long)]
        no_browser: bool,
    },
    /// Show the account, scopes, expiry and refresh state (never a secret).
    Status {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Revoke the tokens at X and delete them.
    Logout {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
}

pub fn run(args: AuthArgs) -> Result<(), Failure> {
    match args.command {
        AuthCommand::Login {
            config,
            paste,
            no_browser,
        } => {
            let config = Config::load(&config)?;
            block_on(async move {
                let settings = settings(&config).await?;
                let options = LoginOptions {
                    paste,
                    open_browser: (!no_browser).then_some(open_browser as OpenBrowser),
                };
                let mut out = std::io::stdout();
                let mut input = std::io::BufReader::new(std::io::stdin());
                auth::login(&settings, options, &mut out, &mut input).await?;
                Ok(())
            })
        }
        AuthCommand::Status { config } => {
            let config = Config::load(&config)?;
            block_on(async move {
                let report = auth::status_report(&settings(&config).await?).await?;
                print!("{report}");
                Ok(())
            })
        }
        AuthCommand::Logout { config } => {
            let config = Config::load(&config)?;
            block_on(async move {
                let settings = settings(&config).await?;
                let outcome = auth::logout(&settings).await?;
                println!("{outcome}");
                Ok(())
            })
        }
    }
}

/// The login settings of `config`, with the secrets the process
/// environment holds.
async fn settings(config: &Config) -> anyhow::Result<AuthSettings> {
    let tokens = token_place(config).await?;
    Ok(auth_settings(
        config,
        &Secrets::from_process(config),
        tokens,
    ))
}

/// Opens `url` in the user's browser when there is one: `$BROWSER`, else
/// `xdg-open` under X11 or Wayland (`open` on macOS). Never waits for it and
/// never fails the login: the URL is printed anyway.
fn open_browser(url: &str) -> Result<(), String> {
    let env = |name: &str| std::env::var(name).ok();
    let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
    let command = match env("BROWSER").filter(|b| !b.trim().is_empty()) {
        // $BROWSER may be a colon-separated list; the first entry is enough.
        Some(list) => list
            .split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string(),
        None if cfg!(target_os = "macos") => "open".to_string(),
        None if set("DISPLAY") || set("WAYLAND_DISPLAY") => "xdg-open".to_string(),
        None => return Err("no browser found (no $BROWSER, $DISPLAY or $WAYLAND_DISPLAY)".into()),
    };
    let mut words = command.split_whitespace();
    let program = words.next().ok_or("$BROWSER is empty")?;
    let mut args: Vec<String> = words.map(String::from).collect();
    if args.iter().any(|a| a.contains("%s")) {
        args = args.iter().map(|a| a.replace("%s", url)).collect();
    } else {
        args.push(url.to_string());
    }
    let mut child = Command::new(program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    // Reap it whenever it exits, so it does not linger as a zombie.
    std::thread::spawn(move || child.wait());
    Ok(())
}
