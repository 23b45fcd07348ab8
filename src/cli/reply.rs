//! `placewatch reply check`: is a draft reply one X would accept, how long is
//! it by X's weighted count, and what would it cost? For officers drafting by
//! hand and for scripts (`--json`, one object per line; stdin takes one JSON
//! string per line).

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use super::Failure;
use crate::config::Config;
use crate::domain::text::{
    MAX_WEIGHTED_LENGTH, ReplyCost, ReplyPrices, ReplyText, weighted_length,
};

#[derive(Debug, clap::Args)]
pub struct ReplyArgs {
    #[command(subcommand)]
    command: ReplyCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ReplyCommand {
    /// Check draft reply text: weighted length, whether X would accept it, and its cost.
    ///
    /// Exit status: 0 when every text would be accepted; 1 when any text is empty,
    /// over 280 weighted characters or holds a character X refuses, or (on stdin) a
    /// line is not a JSON string; 2 for usage or config errors.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// The draft. Without it, --json reads drafts from stdin: one JSON string per line.
    #[arg(long)]
    text: Option<String>,
    /// Print one JSON object per text, one per line:
    /// {"text", "weighted_length", "valid", "reason", "cost_usd", "priced_as"}.
    #[arg(long)]
    json: bool,
    /// Price it as a reply to a post whose author mentioned or quoted the council.
    #[arg(long)]
    summoned: bool,
    /// Use this config's [budget] prices instead of X's (2026-04-20) defaults.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

pub fn run(args: ReplyArgs) -> Result<(), Failure> {
    let ReplyCommand::Check(args) = args.command;
    let prices = match &args.config {
        Some(path) => Config::load(path)?.budget.reply_prices(),
        None => ReplyPrices::default(),
    };
    match (&args.text, args.json) {
        (Some(text), json) => one(text, json, args.summoned, &prices),
        (None, true) => lines(args.summoned, &prices),
        (None, false) => Err(Failure::Usage(
            "give the draft with --text TEXT, or use --json to read drafts from stdin \
             (one JSON string per line)"
                .into(),
        )),
    }
}

/// One text checked.
pub(super) struct Checked {
    pub(super) text: String,
    pub(super) weighted: usize,
    /// Why X would refuse it; `None` when it would accept it.
    pub(super) refused: Option<String>,
    pub(super) cost: ReplyCost,
}

impl Checked {
    pub(super) fn new(text: String, summoned: bool, prices: &ReplyPrices) -> Checked {
        let weighted = weighted_length(&text).weighted;
        let refused = ReplyText::parse(text.as_str()).err().map(|e| e.to_string());
        let cost = ReplyCost::for_text(&text, summoned, prices);
        Checked {
            text,
            weighted,
            refused,
            cost,
        }
    }

    /// One line of `--json` output, keys in the documented order.
    fn json(&self) -> String {
        let line = CheckLine {
            text: &self.text,
            weighted_length: self.weighted,
            valid: self.refused.is_none(),
            reason: self.refused.as_deref(),
            cost_usd: self.cost.usd,
            priced_as: self.cost.rate.as_str(),
        };
        serde_json::to_string(&line).expect("a struct of strings and numbers serializes")
    }

    /// The length, acceptance and cost lines of the human output.
    pub(super) fn summary(&self) -> String {
        let verdict = match &self.refused {
            None => "yes".to_string(),
            Some(reason) => format!("no: {reason}"),
        };
        format!(
            "weighted length: {} of {MAX_WEIGHTED_LENGTH}\nX would accept it: {verdict}\n\
             cost: {} ({}; {})",
            self.weighted,
            usd(self.cost.usd),
            self.cost.rate.describe(),
            self.cost.rate.as_str(),
        )
    }
}

/// `--json` output for one text (a struct, so keys keep this order).
#[derive(Serialize)]
struct CheckLine<'a> {
    text: &'a str,
    weighted_length: usize,
    valid: bool,
    reason: Option<&'a str>,
    cost_usd: f64,
    priced_as: &'static str,
}

/// `--json` output for a stdin line that is not a JSON string.
#[derive(Serialize)]
struct ErrorLine {
    line: usize,
    error: String,
}

/// A price in US dollars, to the tenth of a cent.
pub(super) fn usd(amount: f64) -> String {
    format!("${amount:.3}")
}

fn one(text: &str, json: bool, summoned: bool, prices: &ReplyPrices) -> Result<(), Failure> {
    let checked = Checked::new(text.to_string(), summoned, prices);
    if json {
        println!("{}", checked.json());
    } else {
        println!("{}", checked.summary());
    }
    match checked.refused {
        None => Ok(()),
        Some(reason) => Err(anyhow::anyhow!("X would refuse this reply: {reason}").into()),
    }
}

/// Each line of stdin is a JSON string: one object out per line in, an
/// error object for a line that is not a JSON string. Blank lines are skipped.
fn lines(summoned: bool, prices: &ReplyPrices) -> Result<(), Failure> {
    let mut input = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    let (mut texts, mut refused, mut bad_lines) = (0, 0, 0);
    let mut buf = Vec::new();
    for number in 1usize.. {
        buf.clear();
        if input.read_until(b'\n', &mut buf).context("reading stdin")? == 0 {
            break;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let object = match parse_line(line) {
            Ok(text) => {
                texts += 1;
                let checked = Checked::new(text, summoned, prices);
                refused += usize::from(checked.refused.is_some());
                checked.json()
            }
            Err(message) => {
                bad_lines += 1;
                let error = format!("line {number}: {message}");
                let line = ErrorLine {
                    line: number,
                    error,
                };
                serde_json::to_string(&line).expect("a number and a string serialize")
            }
        };
        writeln!(out, "{object}").context("writing stdout")?;
        out.flush().context("writing stdout")?;
    }
    if refused + bad_lines == 0 {
        return Ok(());
    }
    let mut problems = Vec::new();
    if refused > 0 {
        problems.push(format!("{refused} of {texts} texts would be refused by X"));
    }
    match bad_lines {
        0 => {}
        1 => problems.push("1 line was not a JSON string".into()),
        n => problems.push(format!("{n} lines were not JSON strings")),
    }
    Err(anyhow::anyhow!(problems.join("; ")).into())
}

fn parse_line(line: &[u8]) -> Result<String, String> {
    let line = std::str::from_utf8(line).map_err(|_| "not valid UTF-8".to_string())?;
    match serde_json::from_str::<Value>(line) {
        Ok(Value::String(text)) => Ok(text),
        Ok(other) => Err(format!(
            "expected a JSON string such as \"Thanks!\", got {}",
            kind(&other)
        )),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
