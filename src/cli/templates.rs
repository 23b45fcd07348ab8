//! `placewatch templates list|preview`: the config's reply templates, and one
//! rendered for a stored item with its weighted length, whether X would
//! accept it, and what sending it would cost.

use std::path::PathBuf;

use serde_json::json;

use super::reply::{Checked, usd};
use super::{Failure, block_on, terminal_safe};
use crate::app::open_store;
use crate::config::{Config, Templates};
use crate::domain::text::{MAX_WEIGHTED_LENGTH, RenderContext, Template, weighted_length};
use crate::domain::triage::ReplyPath;
use crate::store::ItemRow;

#[derive(Debug, clap::Args)]
pub struct TemplatesArgs {
    #[command(subcommand)]
    command: TemplatesCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TemplatesCommand {
    /// List the reply templates and their variables.
    List {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// One JSON object per template, one per line.
        #[arg(long)]
        json: bool,
    },
    /// Render a template for a stored item: the text, its weighted length,
    /// whether X would accept it, and its cost.
    ///
    /// Exit status: 0 when X would accept the rendered reply, 1 when it would
    /// refuse it (or the item cannot be read), 2 for an unknown template or a
    /// config error.
    Preview {
        /// The template's name (ignoring case).
        name: String,
        /// The item to answer.
        #[arg(long, value_name = "ID")]
        item: i64,
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Who replies: {officer} is their first name. Without it, {officer}
        /// renders as nothing and a warning says so.
        #[arg(long, value_name = "NAME")]
        officer: Option<String>,
        /// Render the Welsh counterpart.
        #[arg(long)]
        welsh: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: TemplatesArgs) -> Result<(), Failure> {
    match args.command {
        TemplatesCommand::List { config, json } => {
            let config = Config::load(&config)?;
            list(&config.templates, json).map_err(Failure::Runtime)
        }
        TemplatesCommand::Preview {
            name,
            item,
            config,
            officer,
            welsh,
            json,
        } => {
            let config = Config::load(&config)?;
            let template = find(&config.templates, &name, welsh)?.clone();
            let preview = Preview {
                template,
                officer,
                welsh,
                json,
            };
            block_on(async move {
                let store = open_store(&config).await?;
                let item = store.item(item).await;
                store.close().await;
                preview.show(&config, &item?)
            })
        }
    }
}

/// The template called `name`, or a usage error listing the names.
fn find<'a>(templates: &'a Templates, name: &str, welsh: bool) -> Result<&'a Template, Failure> {
    let Some(template) = templates.get(name) else {
        let names = templates.names();
        let known = if names.is_empty() {
            "the config has no [[templates.reply]]".to_string()
        } else {
            format!("templates: {}", names.join(", "))
        };
        return Err(Failure::Usage(format!(
            "no template named {name:?}; {known}"
        )));
    };
    if welsh && template.welsh().is_none() {
        return Err(Failure::Usage(format!(
            "template {:?} has no Welsh text (add `welsh = \"...\"` to it in the config)",
            template.name()
        )));
    }
    Ok(template)
}

fn list(templates: &Templates, json: bool) -> anyhow::Result<()> {
    for t in &templates.list {
        let fixed = weighted_length(&t.render_fixed(&templates.vars, false));
        if json {
            let object = json!({
                "name": t.name(),
                "text": t.text(),
                "welsh": t.welsh(),
                "tags": t.tags(),
                "requires_approval": t.requires_approval(),
                "placeholders": t.placeholders(),
                "fixed_weighted_length": fixed.weighted,
                "has_link": fixed.urls > 0,
            });
            println!("{object}");
            continue;
        }
        let mut facts = vec![format!("tags [{}]", t.tags().join(", "))];
        if t.welsh().is_some() {
            facts.push("Welsh".into());
        }
        if t.requires_approval() {
            facts.push("needs approval".into());
        }
        let link = if fixed.urls > 0 { ", with a link" } else { "" };
        facts.push(format!(
            "{} of {MAX_WEIGHTED_LENGTH} before placeholders{link}",
            fixed.weighted
        ));
        println!("{}  {}", t.name(), facts.join(" · "));
        println!("  {}", terminal_safe(t.text()));
        if let Some(welsh) = t.welsh() {
            println!("  cy: {}", terminal_safe(welsh));
        }
    }
    if json {
        return Ok(());
    }
    if templates.list.is_empty() {
        println!("no templates: add [[templates.reply]] tables to the config");
    }
    if !templates.vars.is_empty() {
        println!("variables:");
        for (name, value) in &templates.vars {
            println!("  {{{name}}} = {}", terminal_safe(value));
        }
    }
    Ok(())
}

struct Preview {
    template: Template,
    officer: Option<String>,
    welsh: bool,
    json: bool,
}

impl Preview {
    fn show(&self, config: &Config, item: &ItemRow) -> anyhow::Result<()> {
        let vars = &config.templates.vars;
        let ctx = RenderContext::for_post(
            item.author.as_ref(),
            &item.places,
            self.officer.as_deref().unwrap_or(""),
            &config.council.handle,
            vars,
        );
        let text = self.template.render(&ctx, self.welsh);
        let prices = config.budget.reply_prices();
        let checked = Checked::new(text, item.flags.summoned, &prices);
        let warnings = self.warnings(&ctx, vars, &checked.text);
        let manual = item.reply_path == ReplyPath::Manual;
        if self.json {
            let object = json!({
                "template": self.template.name(),
                "item": item.id,
                "welsh": self.welsh,
                "text": checked.text,
                "weighted_length": checked.weighted,
                "valid": checked.refused.is_none(),
                "reason": checked.refused,
                "reply_path": item.reply_path.as_str(),
                "summoned": item.flags.summoned,
                "cost_usd": if manual { 0.0 } else { checked.cost.usd },
                "priced_as": if manual { "manual" } else { checked.cost.rate.as_str() },
                "warnings": warnings,
            });
            println!("{object}");
        } else {
            self.print(item, &checked, &warnings, manual);
        }
        match &checked.refused {
            None => Ok(()),
            Some(reason) => anyhow::bail!("X would refuse this reply: {reason}"),
        }
    }

    fn print(&self, item: &ItemRow, checked: &Checked, warnings: &[String], manual: bool) {
        let author = item
            .author
            .as_ref()
            .map_or("?".to_string(), |a| format!("@{}", a.username));
        let language = if self.welsh { "Welsh" } else { "English" };
        println!(
            "template {} ({language}) for item #{} ({}, [{}])\n",
            self.template.name(),
            item.id,
            terminal_safe(&author),
            terminal_safe(&item.places.join(", ")),
        );
        println!("{}\n", terminal_safe(&checked.text));
        println!("{}", checked.summary());
        if manual {
            println!(
                "reply path: manual — only a person can answer this post, in X; that costs \
                 nothing through the API (through the API it would be {})",
                usd(checked.cost.usd)
            );
        } else {
            println!("reply path: api — placewatch can send it");
        }
        if self.template.requires_approval() {
            println!("approval: a reply from this template waits for an approver");
        }
        for warning in warnings {
            println!("warning: {warning}");
        }
    }

    /// What an officer should look at before sending: placeholders with no
    /// value, and values (a display name, a place) that add a link.
    fn warnings(
        &self,
        ctx: &RenderContext,
        vars: &std::collections::BTreeMap<String, String>,
        text: &str,
    ) -> Vec<String> {
        let mut warnings: Vec<String> = self
            .template
            .missing_values(ctx, self.welsh)
            .iter()
            .map(|name| match *name {
                "officer" => "{officer} has no value: pass --officer NAME".to_string(),
                name => format!("{{{name}}} has no value for this item and renders as nothing"),
            })
            .collect();
        let fixed = weighted_length(&self.template.render_fixed(vars, self.welsh)).urls;
        if weighted_length(text).urls > fixed {
            warnings.push(
                "a value filled in (the author's name or handle, or the place) adds a link to \
                 the reply; check it before sending"
                    .into(),
            );
        }
        warnings
    }
}
