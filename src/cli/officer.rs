//! `placewatch officer add|list|disable|enable|reset-password|contact|role`:
//! the desk's accounts, and how each hears of her work, managed on the
//! server. Passwords are read from a prompt (twice, without echo) or, when
//! stdin is not a terminal, from its first line; never from an argument,
//! where they would sit in shell history and `ps`.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use super::{Failure, block_on};
use crate::app::open_store;
use crate::config::Config;
use anyhow::Context as _;

use crate::domain::mail::Address;
use crate::domain::officer::{Role, check_display_name, check_password, check_username};
use crate::domain::team::{DigestAt, Notify};
use crate::store::NewOfficer;
use crate::web::hash_password;

#[derive(Debug, clap::Args)]
pub struct OfficerArgs {
    #[command(subcommand)]
    command: OfficerCommand,
}

#[derive(Debug, clap::Args)]
struct Target {
    /// The officer's username.
    username: String,
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Who is acting (recorded in the audit log); defaults to $USER.
    #[arg(long, env = "USER", default_value = "admin")]
    actor: String,
}

#[derive(Debug, clap::Subcommand)]
enum OfficerCommand {
    /// Create a desk account; the password is read from a prompt or stdin.
    Add {
        #[command(flatten)]
        target: Target,
        /// The name shown on the desk; its first word fills a reply's {officer}.
        #[arg(long)]
        name: String,
        /// viewer, officer, approver or admin.
        #[arg(long, value_parser = parse_role, default_value = "officer")]
        role: Role,
    },
    /// List the desk's accounts.
    List {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Disable an account and end its sessions.
    Disable {
        #[command(flatten)]
        target: Target,
    },
    /// Enable a disabled account again.
    Enable {
        #[command(flatten)]
        target: Target,
    },
    /// Set a new password (read from a prompt or stdin) and end the account's sessions.
    ResetPassword {
        #[command(flatten)]
        target: Target,
    },
    /// Set how an officer hears of work for them: an email address, and
    /// whether to email at once, as a daily digest, or not at all. Options
    /// left out keep their value.
    Contact {
        #[command(flatten)]
        target: Target,
        /// The officer's email address.
        #[arg(long, value_parser = parse_email, conflicts_with = "no_email")]
        email: Option<String>,
        /// Remove the officer's email address.
        #[arg(long)]
        no_email: bool,
        /// immediately, digest or none.
        #[arg(long, value_parser = parse_notify)]
        notify: Option<Notify>,
        /// When the daily digest is sent (UK time).
        #[arg(long, value_name = "HH:MM", value_parser = parse_digest_at)]
        digest_at: Option<DigestAt>,
    },
    /// Give an account another role.
    Role {
        #[command(flatten)]
        target: Target,
        #[arg(value_parser = parse_role)]
        role: Role,
    },
}

fn parse_email(s: &str) -> Result<String, String> {
    s.trim()
        .parse::<Address>()
        .map(|a| a.to_string())
        .map_err(|e| format!("{s:?} is not an email address ({e})"))
}

fn parse_notify(s: &str) -> Result<Notify, String> {
    Notify::parse(s).ok_or_else(|| format!("unknown {s:?} (immediately, digest, none)"))
}

fn parse_digest_at(s: &str) -> Result<DigestAt, String> {
    DigestAt::parse(s).ok_or_else(|| format!("{s:?} is not a time HH:MM (00:00 to 23:59)"))
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("unknown role {s:?} (viewer, officer, approver, admin)"))
}

pub fn run(args: OfficerArgs) -> Result<(), Failure> {
    match args.command {
        OfficerCommand::Add { target, name, role } => {
            check_username(&target.username).map_err(|e| Failure::Usage(e.to_string()))?;
            check_display_name(&name).map_err(|e| Failure::Usage(e.to_string()))?;
            let config = Config::load(&target.config)?;
            let password = read_password()?;
            block_on(async move {
                let store = open_store(&config).await?;
                let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await?;
                let officer = store
                    .add_officer(
                        &NewOfficer {
                            username: &target.username,
                            display_name: name.trim(),
                            role,
                            password_hash: &hash,
                        },
                        &target.actor,
                    )
                    .await?;
                println!(
                    "added {} ({}, {})",
                    officer.username, officer.display_name, officer.role
                );
                store.close().await;
                Ok(())
            })
        }
        OfficerCommand::List { config, json } => {
            let config = Config::load(&config)?;
            block_on(async move {
                let store = open_store(&config).await?;
                let officers = store.officers().await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&officers)?);
                } else if officers.is_empty() {
                    println!(
                        "no officers: add one with `placewatch officer add USERNAME --name NAME --role admin --config {}`",
                        config.source.display()
                    );
                }
                if !json {
                    for o in &officers {
                        println!(
                            "{:<20} {:<9} {:<9} {}",
                            o.username,
                            o.role.as_str(),
                            if o.disabled { "disabled" } else { "active" },
                            super::terminal_safe(&o.display_name)
                        );
                    }
                }
                store.close().await;
                Ok(())
            })
        }
        OfficerCommand::Disable { target } => set_disabled(target, true),
        OfficerCommand::Enable { target } => set_disabled(target, false),
        OfficerCommand::ResetPassword { target } => {
            let config = Config::load(&target.config)?;
            let password = read_password()?;
            block_on(async move {
                let store = open_store(&config).await?;
                let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await?;
                store
                    .set_officer_password(&target.username, &hash, &target.actor)
                    .await?;
                println!(
                    "new password set for {}; their sessions ended",
                    target.username
                );
                store.close().await;
                Ok(())
            })
        }
        OfficerCommand::Contact {
            target,
            email,
            no_email,
            notify,
            digest_at,
        } => {
            let config = Config::load(&target.config)?;
            block_on(async move {
                let store = open_store(&config).await?;
                let result = async {
                    let mut contact = store
                        .officer_contact(&target.username)
                        .await?
                        .with_context(|| format!("no officer called {:?}", target.username))?;
                    if email.is_some() || no_email {
                        contact.email = email;
                    }
                    contact.notify = notify.unwrap_or(contact.notify);
                    contact.digest_at = digest_at.unwrap_or(contact.digest_at);
                    store
                        .set_officer_contact(&target.username, &contact, &target.actor)
                        .await?;
                    anyhow::Ok(contact)
                }
                .await;
                store.close().await;
                let contact = result?;
                let when = match contact.notify {
                    Notify::Digest => format!("a daily digest at {}", contact.digest_at),
                    Notify::Immediately => "immediately".into(),
                    Notify::None => "never (the desk only)".into(),
                };
                match &contact.email {
                    Some(email) => println!("{}: email {email}, {when}", target.username),
                    None => println!("{}: no email address", target.username),
                }
                Ok(())
            })
        }
        OfficerCommand::Role { target, role } => {
            let config = Config::load(&target.config)?;
            block_on(async move {
                let store = open_store(&config).await?;
                let o = store
                    .set_officer_role(&target.username, role, &target.actor)
                    .await?;
                println!("{} is now {}", o.username, o.role);
                store.close().await;
                Ok(())
            })
        }
    }
}

fn set_disabled(target: Target, disabled: bool) -> Result<(), Failure> {
    let config = Config::load(&target.config)?;
    block_on(async move {
        let store = open_store(&config).await?;
        let o = store
            .set_officer_disabled(&target.username, disabled, &target.actor)
            .await?;
        let what = if o.disabled {
            "disabled; their sessions ended"
        } else {
            "enabled"
        };
        println!("{} is {what}", o.username);
        store.close().await;
        Ok(())
    })
}

/// A new password: prompted twice on a terminal, else stdin's first line.
fn read_password() -> Result<String, Failure> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ").map_err(anyhow::Error::from)?;
        let again = rpassword::prompt_password("Again: ").map_err(anyhow::Error::from)?;
        if first != again {
            return Err(Failure::Usage("the two passwords differ".into()));
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(anyhow::Error::from)?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    };
    check_password(&password).map_err(|e| Failure::Usage(e.to_string()))?;
    Ok(password)
}
