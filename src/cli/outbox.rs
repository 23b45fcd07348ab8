//! `placewatch triage reply`, `placewatch outbox list|retry|cancel|approve|reconcile`
//! and `placewatch audit`: the reply outbox from the terminal. Every command
//! that may talk to X reconciles the outbox first (`reply::Outbox::reconcile`),
//! so a reply left in `sending` by a crash is settled before anything else.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail};

use super::{Failure, block_on};
use crate::app::{open_store, x_client};
use crate::config::{Config, Secrets};
use crate::domain::outbox::ReplyState;
use crate::domain::text::{RenderContext, ReplyCost};
use crate::reply::{Outbox, ReplyOutcome, ReplyRequest};
use crate::store::ReplyFilter;
use crate::x::auth::{self, UserSession};

mod print;

use print::{audit_line, print_outcome, print_reply, reply_line, report_reconcile};

/// `placewatch triage reply`.
#[derive(Debug, clap::Args)]
pub struct ReplyArgs {
    /// The item to answer.
    id: i64,
    /// A template from the config's `[[templates.reply]]`, rendered for the item.
    #[arg(long, conflicts_with = "text", required_unless_present = "text")]
    template: Option<String>,
    /// The reply's text, as it will be posted.
    #[arg(long)]
    text: Option<String>,
    /// Render the template's Welsh text (when it has one).
    #[arg(long, requires = "template")]
    welsh: bool,
    /// Save as a draft instead of sending.
    #[arg(long)]
    draft: bool,
    /// Record a second reply to a post that already has one (administrators).
    #[arg(long = "override")]
    override_duplicate: bool,
    /// Reply even though another officer has claimed the item (audited).
    #[arg(long)]
    over_claim: bool,
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Who is replying (recorded in the audit log); defaults to $USER.
    #[arg(long, env = "USER", default_value = "officer")]
    officer: String,
    #[arg(long)]
    json: bool,
}

/// `placewatch outbox …`.
#[derive(Debug, clap::Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    command: OutboxCommand,
}

#[derive(Debug, clap::Args)]
struct Common {
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Who is acting (recorded in the audit log); defaults to $USER.
    #[arg(long, env = "USER", default_value = "officer")]
    officer: String,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum OutboxCommand {
    /// List replies, newest first.
    List {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// draft, awaiting_approval, sending, sent, failed, cancelled, manual_pending.
        #[arg(long, value_parser = parse_state)]
        state: Option<ReplyState>,
        #[arg(long)]
        item: Option<i64>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Send a failed reply again.
    Retry {
        id: i64,
        #[command(flatten)]
        common: Common,
    },
    /// Withdraw a reply that is not being sent.
    Cancel {
        id: i64,
        #[command(flatten)]
        common: Common,
    },
    /// Approve a reply awaiting approval, and send it.
    Approve {
        id: i64,
        #[command(flatten)]
        common: Common,
    },
    /// Settle replies left in `sending` and link manual replies posted on x.com.
    Reconcile {
        #[command(flatten)]
        common: Common,
        /// Do not resend a reply whose send began less than this many seconds
        /// ago (another process may still be sending it); default twice the
        /// request timeout.
        #[arg(long, value_name = "SECS")]
        grace: Option<u64>,
    },
}

/// `placewatch audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Only this item's entries.
    #[arg(long)]
    item: Option<i64>,
    #[arg(long, default_value_t = 100)]
    limit: u32,
    #[arg(long)]
    json: bool,
}

fn parse_state(s: &str) -> Result<ReplyState, String> {
    ReplyState::parse(s).ok_or_else(|| {
        format!(
            "unknown reply state {s:?} (draft, awaiting_approval, sending, sent, failed, \
             cancelled, manual_pending)"
        )
    })
}

/// `placewatch triage reply`.
pub fn reply(args: ReplyArgs) -> Result<(), Failure> {
    let config = Config::load(&args.config)?;
    block_on(triage_reply(config, args))
}

/// `placewatch outbox …`.
pub fn outbox(args: OutboxArgs) -> Result<(), Failure> {
    match args.command {
        OutboxCommand::List {
            config,
            state,
            item,
            limit,
            json,
        } => {
            let config = Config::load(&config)?;
            let filter = ReplyFilter {
                state,
                item_id: item,
                limit: limit.clamp(1, 1000),
            };
            block_on(list(config, filter, json))
        }
        OutboxCommand::Cancel { id, common } => {
            let config = Config::load(&common.config)?;
            block_on(async move {
                let store = open_store(&config).await?;
                let reply = store.cancel_reply(id, &common.officer).await?;
                print_reply(&reply, common.json)?;
                store.close().await;
                Ok(())
            })
        }
        OutboxCommand::Retry { id, common } => act(common, |outbox, officer, _| async move {
            outbox.retry(id, &officer).await
        }),
        OutboxCommand::Approve { id, common } => {
            act(common, |outbox, officer, config| async move {
                let allow_self = config.desk.allow_self_approval;
                outbox.approve(id, &officer, allow_self).await
            })
        }
        OutboxCommand::Reconcile { common, grace } => {
            let config = Config::load(&common.config)?;
            block_on(reconcile(config, common, grace))
        }
    }
}

/// `placewatch audit`.
pub fn audit(args: AuditArgs) -> Result<(), Failure> {
    let config = Config::load(&args.config)?;
    block_on(async move {
        let store = open_store(&config).await?;
        let entries = store.audit(args.item, args.limit.clamp(1, 100_000)).await?;
        for entry in &entries {
            if args.json {
                println!("{}", serde_json::to_string(entry)?);
            } else {
                println!("{}", audit_line(entry));
            }
        }
        store.close().await;
        Ok(())
    })
}

/// The outbox of a config: its store, the X client with the council's
/// session, and the council account from that session.
async fn open_outbox(config: &Config, grace: Option<Duration>) -> anyhow::Result<Outbox> {
    let store = open_store(config).await?;
    let (client, session) = x_client(config, &Secrets::from_process(config), &store).await?;
    let login = || {
        anyhow!(
            "the council account is not logged in: run `placewatch auth login --config {}`",
            config.source.display()
        )
    };
    let status = session.as_ref().map(UserSession::status);
    if status.as_ref().is_some_and(|s| !s.can_reply()) {
        return Err(login().context("X refused the stored login"));
    }
    let council = auth::council(status.as_ref(), &config.council.handle);
    let account = council.account().cloned().ok_or_else(login)?;
    let mut outbox = Outbox::new(client, store, account);
    outbox.in_flight_grace = grace.unwrap_or(config.replies.in_flight_grace);
    Ok(outbox)
}

/// Reconciles, prints what it settled (on stderr), then runs `f`.
fn act<F, Fut>(common: Common, f: F) -> Result<(), Failure>
where
    F: FnOnce(Outbox, String, Config) -> Fut,
    Fut: std::future::Future<Output = Result<ReplyOutcome, crate::reply::ReplyError>>,
{
    let config = Config::load(&common.config)?;
    block_on(async move {
        let outbox = open_outbox(&config, None).await?;
        report_reconcile(&outbox.reconcile().await?);
        let store = outbox.store.clone();
        let outcome = f(outbox, common.officer, config.clone()).await?;
        let result = print_outcome(&outcome, common.json);
        store.close().await;
        result
    })
}

async fn triage_reply(config: Config, args: ReplyArgs) -> anyhow::Result<()> {
    let outbox = open_outbox(&config, None).await?;
    // Before anything else: settle what a crash may have left in `sending`.
    report_reconcile(&outbox.reconcile().await?);
    let item = outbox.store.item(args.id).await?;
    let (text, needs_approval) = match (&args.template, &args.text) {
        (Some(name), _) => {
            let template = config.templates.get(name).ok_or_else(|| {
                anyhow!(
                    "no template {name:?} in {} (templates: {})",
                    config.source.display(),
                    config.templates.names().join(", ")
                )
            })?;
            let mut ctx = RenderContext::for_post(
                item.author.as_ref(),
                &item.places,
                &args.officer,
                &outbox.account.handle,
                &config.templates.vars,
            );
            if let Some(referral) = outbox.store.referrals_of(item.id).await?.pop() {
                ctx = ctx.with_referral(&referral.reference.to_string(), &referral.team_name);
            }
            let missing = template.missing_values(&ctx, args.welsh);
            if !missing.is_empty() {
                bail!(
                    "template {name:?} has no value for {} on item {}: reply with --text instead",
                    missing.join(", "),
                    item.id
                );
            }
            (
                template.render(&ctx, args.welsh),
                template.requires_approval(),
            )
        }
        (None, Some(text)) => (text.clone(), false),
        (None, None) => bail!("give --template NAME or --text TEXT"),
    };
    let cost = ReplyCost::for_text(&text, item.flags.summoned, &config.budget.reply_prices());
    eprintln!("cost: ${:.3} ({})", cost.usd, cost.rate.describe());
    let request = ReplyRequest {
        template: args.template.as_deref(),
        override_duplicate: args.override_duplicate,
        over_claim: args.over_claim,
        needs_approval,
        draft: args.draft,
        ..ReplyRequest::new(args.id, &text, &args.officer)
    };
    let outcome = outbox.submit_request(&request).await?;
    let result = print_outcome(&outcome, args.json);
    outbox.store.close().await;
    result
}

async fn reconcile(config: Config, common: Common, grace: Option<u64>) -> anyhow::Result<()> {
    let outbox = open_outbox(&config, grace.map(Duration::from_secs)).await?;
    let report = outbox.reconcile().await?;
    let linked = outbox.detect_manual_replies().await?;
    if common.json {
        let value = serde_json::json!({ "reconciled": report, "manual_linked": linked });
        println!("{value}");
    } else {
        report_reconcile(&report);
        for reply in &linked {
            println!("{}", reply_line(reply));
        }
        if report.is_empty() && linked.is_empty() {
            println!("nothing to reconcile");
        }
    }
    let unsettled = report
        .resent
        .iter()
        .filter(|o| matches!(o, ReplyOutcome::Unknown { .. }))
        .count();
    outbox.store.close().await;
    if unsettled > 0 {
        bail!("{unsettled} replies are still unsettled; run this again later");
    }
    Ok(())
}

async fn list(config: Config, filter: ReplyFilter, json: bool) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    for reply in store.list_replies(&filter).await? {
        print_reply(&reply, json)?;
    }
    store.close().await;
    Ok(())
}
