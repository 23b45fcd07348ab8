//! `placewatch mail test --to ADDRESS --config FILE`: one test message
//! through the SMTP server of `[mail]`, and the server's answer, so an
//! administrator can check the settings before referrals depend on them.
//! It says how it signed in (a password, XOAUTH2 with a token from which
//! endpoint, or no login).

use std::path::PathBuf;

use anyhow::anyhow;
use clap::{Args, Subcommand};

use super::{Failure, block_on};
use crate::config::{Config, Secrets};
use crate::domain::mail::{Address, NamedAddress, TestMessage};

#[derive(Debug, Args)]
pub(crate) struct MailArgs {
    #[command(subcommand)]
    command: MailCommand,
}

#[derive(Debug, Subcommand)]
enum MailCommand {
    /// Send one test message through the configured SMTP server and print its reply.
    Test {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Who gets the test message.
        #[arg(long, value_name = "ADDRESS")]
        to: String,
    },
}

pub(crate) fn run(args: MailArgs) -> Result<(), Failure> {
    match args.command {
        MailCommand::Test { config, to } => {
            let config = Config::load(&config)?;
            let to: Address = to.trim().parse().map_err(|e| {
                Failure::Usage(format!("--to {to:?} is not an email address ({e})"))
            })?;
            if config.mail.is_none() {
                return Err(Failure::Usage(format!(
                    "{} has no [mail] section, so email is off: add one (see \
                     config/placewatch.toml)",
                    config.source.display()
                )));
            }
            block_on(test(config, to))
        }
    }
}

async fn test(config: Config, to: Address) -> anyhow::Result<()> {
    let secrets = Secrets::from_process(&config);
    let mailer =
        crate::app::mailer(&config, &secrets)?.ok_or_else(|| anyhow!("no [mail] section"))?;
    let security = config.mail.as_ref().map(|m| m.security.as_str());
    let message = TestMessage {
        council: config.council.name.clone(),
        config: config.source.display().to_string(),
        server: mailer.server().to_string(),
        sent_at: time::OffsetDateTime::now_utc(),
    };
    let email = message.email(mailer.sender().clone(), NamedAddress::bare(to.clone()))?;
    println!(
        "Sending a test message from {} to {to} through {} ({}), signing in with {}...",
        mailer.sender(),
        mailer.server(),
        security.unwrap_or_default(),
        mailer.sign_in()
    );
    match mailer.send(&email).await {
        Ok(sent) => {
            println!("Sent. The server answered: {}", sent.server_reply);
            println!("Message-ID: {}", sent.message_id);
            Ok(())
        }
        Err(e) => {
            let kind = if e.is_temporary() {
                "not sent (a temporary failure: the same message may go through later)"
            } else {
                "not sent (a permanent failure: check the [mail] settings)"
            };
            Err(anyhow::Error::new(e).context(kind))
        }
    }
}
