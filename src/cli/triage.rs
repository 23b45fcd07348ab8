//! `placewatch triage …` and `placewatch rules test`: the triage list from the
//! terminal. Every change goes through the store, which enforces the status
//! transitions and writes the audit entry.

use std::path::PathBuf;

use super::{Failure, block_on, terminal_safe};
use crate::app::{open_store, sync_teams};
use crate::config::Config;
use crate::domain::query::TextIndex;
use crate::domain::triage::{
    self, Action, Assignee, Facts, ItemChange, Priority, ReplyPath, RuleSet, Status,
};
use crate::store::{ItemFilter, ItemRow, NewReferral, Store, Team};

#[derive(Debug, clap::Args)]
pub struct TriageArgs {
    #[command(subcommand)]
    command: TriageCommand,
}

#[derive(Debug, clap::Args)]
struct Common {
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Who is acting (recorded in the audit log); defaults to $USER.
    #[arg(long, env = "USER", default_value = "officer")]
    officer: String,
}

#[derive(Debug, clap::Subcommand)]
enum TriageCommand {
    /// List items, newest first.
    List {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long, value_parser = parse_status)]
        status: Option<Status>,
        #[arg(long)]
        place: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        #[arg(long, value_parser = parse_priority)]
        priority: Option<Priority>,
        #[arg(long, value_parser = parse_path)]
        reply_path: Option<ReplyPath>,
        #[arg(long)]
        owner: Option<String>,
        /// Items assigned to this team (its name).
        #[arg(long)]
        team: Option<String>,
        /// Full-text search over post text.
        #[arg(long)]
        search: Option<String>,
        /// Items a page, 1 to 500; the next page's cursor is printed
        /// ("more: --after ID", on stderr with --json).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
        limit: u32,
        /// Continue after this item id (the previous page's "more: --after ID").
        #[arg(long, alias = "before")]
        after: Option<i64>,
        /// Every matching item, page after page.
        #[arg(long, conflicts_with = "after")]
        all: bool,
        /// One JSON object per item.
        #[arg(long)]
        json: bool,
    },
    /// Show an item with its conversation, notes and history.
    Show {
        id: i64,
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Claim an item (status in progress, owner you).
    Claim {
        id: i64,
        #[command(flatten)]
        common: Common,
    },
    /// Assign an item to an officer (--to, keeping its team), to a team
    /// (--team; its owner stays only if she is a member), or to nobody
    /// (--nobody: neither owner nor team).
    Assign {
        id: i64,
        /// An officer's username (an enabled officer).
        #[arg(long, group = "whom")]
        to: Option<String>,
        /// A team's name (ignoring case).
        #[arg(long, group = "whom")]
        team: Option<String>,
        /// Neither an officer nor a team.
        #[arg(long, alias = "none", group = "whom")]
        nobody: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Add a note.
    Note {
        id: i64,
        #[arg(long)]
        text: String,
        #[command(flatten)]
        common: Common,
    },
    /// Dismiss an item.
    Dismiss {
        id: i64,
        #[command(flatten)]
        common: Common,
    },
    /// Refer an item to a team: its email goes when the daemon runs with
    /// `[mail]` configured (sent once, with a PW-nnnnnn reference).
    Refer {
        id: i64,
        /// The team's name (see `placewatch teams list`).
        #[arg(long)]
        team: String,
        /// Why the team should act (quoted in the email).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        common: Common,
    },
    /// Reopen a replied, referred or dismissed item.
    Reopen {
        id: i64,
        #[command(flatten)]
        common: Common,
    },
    /// Answer an item from the council's account (sent exactly once, audited).
    Reply(super::outbox::ReplyArgs),
}

fn parse_status(s: &str) -> Result<Status, String> {
    Status::parse(s).ok_or_else(|| {
        format!("unknown status {s:?} (new, in_progress, replied, referred, dismissed)")
    })
}
fn parse_priority(s: &str) -> Result<Priority, String> {
    Priority::parse(s).ok_or_else(|| format!("unknown priority {s:?} (low, normal, high, urgent)"))
}
fn parse_path(s: &str) -> Result<ReplyPath, String> {
    match s {
        "api" => Ok(ReplyPath::Api),
        "manual" => Ok(ReplyPath::Manual),
        _ => Err(format!("unknown reply path {s:?} (api, manual)")),
    }
}

pub fn run(args: TriageArgs) -> Result<(), Failure> {
    match args.command {
        TriageCommand::List {
            config,
            status,
            place,
            tag,
            priority,
            reply_path,
            owner,
            team,
            search,
            limit,
            after,
            all,
            json,
        } => {
            let config = Config::load(&config)?;
            let filter = ItemFilter {
                status,
                place,
                tag,
                priority,
                reply_path,
                owner,
                text: search,
                before: after,
                limit,
                ..ItemFilter::default()
            };
            block_on(list(config, filter, team, all, json))
        }
        TriageCommand::Show { id, config, json } => {
            let config = Config::load(&config)?;
            block_on(show(config, id, json))
        }
        TriageCommand::Claim { id, common } => change(common, id, Change::Action(Action::Claim)),
        TriageCommand::Dismiss { id, common } => {
            change(common, id, Change::Action(Action::Dismiss))
        }
        TriageCommand::Refer {
            id,
            team,
            reason,
            common,
        } => change(common, id, Change::Refer { team, reason }),
        TriageCommand::Reopen { id, common } => change(common, id, Change::Action(Action::Reopen)),
        TriageCommand::Assign {
            id,
            to,
            team,
            nobody,
            common,
        } => {
            let whom = match (to, team) {
                (Some(officer), _) => Whom::Officer(officer),
                (None, Some(team)) => Whom::Team(team),
                (None, None) if nobody => Whom::Nobody,
                (None, None) => {
                    return Err(anyhow::anyhow!(
                        "say whom to assign to: --to USERNAME, --team NAME or --nobody"
                    )
                    .into());
                }
            };
            change(common, id, Change::Assign(whom))
        }
        TriageCommand::Note { id, text, common } => change(common, id, Change::Note(text)),
        TriageCommand::Reply(args) => super::outbox::reply(args),
    }
}

enum Change {
    Action(Action),
    Assign(Whom),
    Note(String),
    Refer { team: String, reason: String },
}

/// Whom `triage assign` gives the item to, as typed.
enum Whom {
    Officer(String),
    Team(String),
    Nobody,
}

/// The team called `name` (ignoring case), or an error naming the teams.
async fn team_named(store: &Store, name: &str) -> anyhow::Result<Team> {
    if let Some(team) = store.team(name).await? {
        return Ok(team);
    }
    let known: Vec<String> = store.teams().await?.into_iter().map(|t| t.name).collect();
    if known.is_empty() {
        anyhow::bail!("no team is called {name:?}: there are no teams (see `placewatch teams`)");
    }
    anyhow::bail!(
        "no team is called {name:?}; the teams are: {}",
        known.join(", ")
    )
}

/// What `triage assign` asks of the store, the officer or team checked:
/// an officer must exist and be enabled, a team must exist.
async fn assignee(store: &Store, whom: Whom) -> anyhow::Result<Assignee> {
    Ok(match whom {
        Whom::Nobody => Assignee::Nobody,
        Whom::Team(name) => {
            let team = team_named(store, &name).await?;
            Assignee::Team {
                id: team.id,
                members: team.members,
            }
        }
        Whom::Officer(username) => {
            let username = username.trim().to_owned();
            let officer = store
                .officers()
                .await?
                .into_iter()
                .find(|o| o.username == username);
            match officer {
                None => anyhow::bail!(
                    "no officer is called {username:?} (see `placewatch officer list`)"
                ),
                Some(o) if o.disabled => {
                    anyhow::bail!("officer {username:?} is disabled and cannot take items")
                }
                Some(o) => Assignee::Officer(o.username),
            }
        }
    })
}

fn change(common: Common, id: i64, change: Change) -> Result<(), Failure> {
    let config = Config::load(&common.config)?;
    block_on(async move {
        let store = open_store(&config).await?;
        if matches!(change, Change::Assign(Whom::Team(_))) {
            // The config's teams, as the daemon would have them.
            sync_teams(&store, &config).await?;
        }
        let actor = common.officer.as_str();
        let item = match change {
            Change::Action(action) => store.transition(id, action, actor).await?,
            Change::Assign(whom) => {
                let to = assignee(&store, whom).await?;
                let applied = store
                    .apply_change(&[id], &ItemChange::Assign(to), actor, None)
                    .await?;
                if !applied.missing.is_empty() {
                    anyhow::bail!("no item has the id {id}");
                }
                if !applied.skipped.is_empty() {
                    eprintln!("item {id} was already so: nothing changed");
                }
                store.item(id).await?
            }
            Change::Note(text) => {
                store.add_note(id, actor, &text).await?;
                store.item(id).await?
            }
            Change::Refer { team, reason } => {
                let domain = config.message_domain();
                let new = NewReferral {
                    item_id: id,
                    team: &team,
                    reason: &reason,
                    officer: actor,
                    message_domain: &domain,
                };
                let (item, referral) = store.refer(&new).await?;
                println!(
                    "{} to {} ({}): queued",
                    referral.reference,
                    referral.team_name,
                    referral.recipients.join(", ")
                );
                item
            }
        };
        println!("{}", line(&item));
        store.close().await;
        Ok(())
    })
}

/// Prints a page of items (or, with `all`, every page), never dropping one
/// silently: a page that is not the last ends with its continuation.
async fn list(
    config: Config,
    mut filter: ItemFilter,
    team: Option<String>,
    all: bool,
    json: bool,
) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    if let Some(name) = team {
        sync_teams(&store, &config).await?;
        filter.teams = Some(vec![team_named(&store, &name).await?.id]);
    }
    let mut first = true;
    loop {
        let page = store.list_items(&filter).await?;
        if first && !json {
            let counts: Vec<String> = page
                .counts
                .iter()
                .map(|(s, n)| format!("{} {n}", s.as_str()))
                .collect();
            println!("{}", counts.join(" · "));
        }
        first = false;
        for item in &page.items {
            if json {
                println!("{}", serde_json::to_string(item)?);
            } else {
                println!("{}", line(item));
            }
        }
        match (page.next_before, all) {
            (Some(next), true) => filter.before = Some(next),
            (Some(next), false) if json => {
                eprintln!("more: --after {next}");
                break;
            }
            (Some(next), false) => {
                println!("more: --after {next}");
                break;
            }
            (None, _) => break,
        }
    }
    store.close().await;
    Ok(())
}

/// One item on one line: id, status, priority, path, owner (with the team
/// after a `/`), places, flags, author, text.
fn line(item: &ItemRow) -> String {
    let mut flags = Vec::new();
    if item.flags.abusive {
        flags.push("abusive");
    }
    if item.flags.false_friend {
        flags.push("false-friend");
    }
    if item.flags.summoned {
        flags.push("summoned");
    }
    let author = item
        .author
        .as_ref()
        .map_or("?".to_string(), |a| format!("@{}", a.username));
    let text: String = item.post.text.chars().take(100).collect();
    format!(
        "#{:<6} {:<11} {:<7} {:<6} {:<12} [{}] {{{}}} {} {}",
        item.id,
        item.status.as_str(),
        item.priority.as_str(),
        item.reply_path.as_str(),
        holder(item),
        item.places.join(", "),
        flags.join(","),
        terminal_safe(&author),
        terminal_safe(&text.replace('\n', " ")),
    )
}

/// The owner and team as `line` prints them: `sam`, `sam/Streets`,
/// `-/Streets`, `-`.
fn holder(item: &ItemRow) -> String {
    let owner = item.owner.as_deref().unwrap_or("-");
    match &item.team {
        Some(team) => terminal_safe(&format!("{owner}/{team}")),
        None => owner.to_owned(),
    }
}

async fn show(config: Config, id: i64, json: bool) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let item = store.item(id).await?;
    let thread = match item.post.conversation_id {
        Some(c) => store.thread(c).await?,
        None => Vec::new(),
    };
    let notes = store.notes(id).await?;
    let history = store.audit(Some(id), 100).await?;
    if json {
        let out =
            serde_json::json!({"item": item, "thread": thread, "notes": notes, "history": history});
        println!("{}", serde_json::to_string_pretty(&out)?);
        store.close().await;
        return Ok(());
    }
    println!("{}", line(&item));
    println!(
        "matched: places [{}], rules [{}], tags [{}]",
        item.places.join(", "),
        item.rules.join(", "),
        item.tags.join(", ")
    );
    if item.flags.abusive {
        println!("abusive words: {}", item.flags.abusive_words.join(", "));
    }
    println!(
        "reply path: {}",
        match item.reply_path {
            ReplyPath::Api => "API (the author summoned the council)",
            ReplyPath::Manual => "manual: only a person can reply in X",
        }
    );
    println!("thread:");
    for p in &thread {
        let marker = if p.post.id == item.post.id { ">" } else { " " };
        let author = p
            .author
            .as_ref()
            .map_or("?".to_string(), |a| format!("@{}", a.username));
        println!(
            "  {marker} {} {} {}",
            p.post.created_at.as_deref().unwrap_or(""),
            terminal_safe(&author),
            terminal_safe(&p.post.text)
        );
    }
    println!("notes:");
    for n in &notes {
        println!(
            "  {} {}: {}",
            n.created_at,
            terminal_safe(&n.author),
            terminal_safe(&n.text)
        );
    }
    println!("history:");
    for h in &history {
        println!("  {} {} {}", h.at, terminal_safe(&h.actor), h.action);
    }
    store.close().await;
    Ok(())
}

/// Runs the config's rules over the newest stored posts and shows what they
/// would decide, changing nothing.
pub async fn rules_test(config: Config, limit: u32, json: bool) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let rules = RuleSet::new(&config.rules, &config.monitor.places)?;
    // As the daemon would judge them: with the council's login, if any.
    let tokens = crate::x::auth::TokenPlace::of(&config.data.dir, &store);
    let login = crate::x::auth::stored_status(&tokens).await?;
    let council = crate::x::auth::council(login.as_ref(), &config.council.handle);
    let false_friend_words = config.false_friend_words();
    let mut after = 0;
    let mut examined = 0u32;
    let mut matched = 0u32;
    while examined < limit {
        let batch = store.posts_after(after, 500.min(limit - examined)).await?;
        let Some((last, _, _)) = batch.last() else {
            break;
        };
        after = last.id;
        examined += batch.len() as u32;
        for (post, author, item) in &batch {
            let text = TextIndex::new(&post.text);
            let places: Vec<String> = config
                .monitor
                .places
                .iter()
                .filter(|k| k.matches(&text))
                .map(|k| k.as_str().to_string())
                .collect();
            let summoned = item.as_ref().map_or_else(
                || triage::summons(post, &council, None, None),
                |i| i.flags.summoned,
            );
            let flags = triage::flags(
                post,
                &text,
                &config.triage.abuse,
                &false_friend_words,
                summoned,
            );
            let username = author.as_ref().map_or("", |a| a.username.as_str());
            let decision = rules.decide(&Facts {
                post,
                text: &text,
                author_username: username,
                places: &places,
                flags: &flags,
            });
            if !decision.matched_rules.is_empty() {
                matched += 1;
            }
            if json {
                println!(
                    "{}",
                    serde_json::json!({"post": post.id, "item": item.as_ref().map(|i| i.id), "decision": decision})
                );
            } else if !decision.matched_rules.is_empty() {
                println!(
                    "post {} (@{}): rules [{}] → tags [{}], priority {}, owner {}, {}",
                    post.id,
                    terminal_safe(username),
                    decision.matched_rules.join(", "),
                    decision.tags.join(", "),
                    decision.priority.as_str(),
                    decision.owner.as_deref().unwrap_or("-"),
                    if decision.dismissed {
                        "dismiss"
                    } else {
                        "keep"
                    }
                );
            }
        }
    }
    if !json {
        println!(
            "{examined} stored posts examined, {matched} matched at least one rule; nothing was changed"
        );
    }
    store.close().await;
    Ok(())
}
