//! `placewatch auth login|status|logout`: the council account's OAuth 2.0 login.

use std::path::PathBuf;

use super::{Failure, block_on};
use crate::config::Config;
use crate::x::auth::{self, LoginOptions};

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
                let options = LoginOptions {
                    paste,
                    open_browser: !no_browser,
                };
                let mut out = std::io::stdout();
                let mut input = std::io::BufReader::new(std::io::stdin());
                auth::login(&config, options, &mut out, &mut input).await?;
                Ok(())
            })
        }
        AuthCommand::Status { config } => {
            let config = Config::load(&config)?;
            let report = auth::status_report(&config).map_err(anyhow::Error::from)?;
            print!("{report}");
            Ok(())
        }
        AuthCommand::Logout { config } => {
            let config = Config::load(&config)?;
            block_on(async move {
                let outcome = auth::logout(&config).await?;
                println!("{outcome}");
                Ok(())
            })
        }
    }
}
