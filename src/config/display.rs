//! `render_effective`: the effective configuration as TOML, for
//! `placewatch check-config`. It parses back into the same `Config`.
//!
//! Secrets are never read into the output: each `*_env` key is followed by a
//! comment saying whether its variable is set, and nothing else.

use std::fmt::Write as _;

use crate::domain::query::Keyword;
use crate::domain::triage::{AbuseList, Conditions, Effects, Rule, default_false_friend_context};

use super::{Config, Database, MailAuth, Templates};

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Render `config` as TOML; `env` answers only "is this variable set?".
pub(crate) fn render(config: &Config, env: Env<'_>) -> String {
    let mut out = String::new();
    let source = config.source.display().to_string();
    let _ = writeln!(
        out,
        "# Effective placewatch configuration from {}\n\
         # (file + PLACEWATCH__SECTION__KEY overrides + defaults).\n\
         # Secrets are never shown: each *_env key names a variable and says\n\
         # whether it is set.\n",
        one_line(&source)
    );
    council(&mut out, config);
    x(&mut out, config, env);
    monitor(&mut out, config);
    budget(&mut out, config);
    let _ = writeln!(out, "[data]");
    kv(&mut out, "dir", &string(&config.data.dir.to_string_lossy()));
    let _ = writeln!(out, "\n[log]");
    kv(&mut out, "format", &string(config.log.format.as_str()));
    store(&mut out, config, env);
    let _ = writeln!(out, "\n[sim]");
    kv(&mut out, "seed", &config.sim.seed.to_string());
    kv(&mut out, "rate_per_min", &float(config.sim.rate_per_min));
    kv(
        &mut out,
        "backlog_days",
        &config.sim.backlog_days.to_string(),
    );
    let _ = writeln!(out, "\n[desk]");
    match &config.desk.public_url {
        Some(url) => kv(&mut out, "public_url", &string(url.as_str())),
        None => {
            let _ = writeln!(
                out,
                "public_url = \"\"  # not set: served as is, cookies not Secure"
            );
        }
    }
    kv(
        &mut out,
        "session_hours",
        &(config.desk.session_ttl.as_secs() / 3600).to_string(),
    );
    kv(
        &mut out,
        "officer_replies_need_approval",
        &config.desk.officer_replies_need_approval.to_string(),
    );
    kv(
        &mut out,
        "allow_self_approval",
        &config.desk.allow_self_approval.to_string(),
    );
    let proxies: Vec<String> = config
        .desk
        .trusted_proxies
        .iter()
        .map(|ip| format!("\"{ip}\""))
        .collect();
    kv(
        &mut out,
        "trusted_proxies",
        &format!("[{}]", proxies.join(", ")),
    );
    let targets = &config.desk.waiting_targets;
    for (priority, target) in [
        ("urgent", targets.urgent),
        ("high", targets.high),
        ("normal", targets.normal),
        ("low", targets.low),
    ] {
        let key = format!("waiting_target_{priority}_minutes");
        kv(&mut out, &key, &(target.as_secs() / 60).to_string());
    }
    kv(
        &mut out,
        "bulk_max_items",
        &config.desk.bulk_max_items.to_string(),
    );
    kv(
        &mut out,
        "monitoring_listen",
        &string(
            &config
                .desk
                .monitoring_listen
                .map(|a| a.to_string())
                .unwrap_or_default(),
        ),
    );
    if let Some(tls) = &config.desk.tls {
        kv(
            &mut out,
            "tls_cert_file",
            &string(&tls.cert_file.to_string_lossy()),
        );
        kv(
            &mut out,
            "tls_key_file",
            &string(&tls.key_file.to_string_lossy()),
        );
    }
    if let Some(var) = &config.desk.monitoring_token_env {
        let _ = writeln!(
            out,
            "monitoring_token_env = {}  # {}",
            string(var),
            secret_state(env, var)
        );
    }
    let _ = writeln!(out, "\n[replies]");
    kv(
        &mut out,
        "in_flight_grace_secs",
        &config.replies.in_flight_grace.as_secs().to_string(),
    );
    kv(
        &mut out,
        "reconcile_interval_secs",
        &config.replies.reconcile_interval.as_secs().to_string(),
    );
    kv(
        &mut out,
        "manual_check_interval_secs",
        &config.replies.manual_check_interval.as_secs().to_string(),
    );
    out.push('\n');
    mail(&mut out, config, env);
    teams(&mut out, &config.teams, env);
    alerts(&mut out, &config.alerts);
    reports(&mut out, &config.reports);
    office_hours(&mut out, &config.office_hours);
    triage(&mut out, config);
    rules(&mut out, &config.rules);
    templates(&mut out, &config.templates);
    out
}

fn teams(out: &mut String, teams: &[super::TeamConfig], env: Env<'_>) {
    if teams.is_empty() {
        let _ = writeln!(out, "# [[teams]]: none\n");
        return;
    }
    for team in teams {
        let _ = writeln!(out, "[[teams]]");
        kv(out, "name", &string(&team.name));
        list_inline(
            out,
            "emails",
            &team
                .emails
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>(),
        );
        list_inline(out, "members", &team.members);
        if team.members.is_empty() {
            let _ = writeln!(out, "# no members: an outside contact (referrals only)");
        }
        for (key, var) in [
            ("teams_webhook_env", &team.teams_webhook_env),
            ("slack_webhook_env", &team.slack_webhook_env),
        ] {
            if let Some(var) = var {
                let _ = writeln!(out, "{key} = {}  # {}", string(var), secret_state(env, var));
            }
        }
        out.push('\n');
    }
}

fn mail(out: &mut String, config: &Config, env: Env<'_>) {
    let Some(m) = &config.mail else {
        let _ = writeln!(out, "# [mail]: not configured, so email is off\n");
        return;
    };
    let _ = writeln!(out, "[mail]");
    kv(out, "smtp_host", &string(&m.smtp_host));
    kv(out, "smtp_port", &m.smtp_port.to_string());
    kv(out, "security", &string(m.security.as_str()));
    let password = match &m.username {
        Some(user) if m.auth != MailAuth::Password => {
            kv(out, "username", &string(user));
            "not used with auth = \"xoauth2\""
        }
        Some(user) => {
            kv(out, "username", &string(user));
            secret_state(env, &m.password_env)
        }
        None => {
            let _ = writeln!(
                out,
                "# username not set: no login (a relay that trusts this host)"
            );
            "not used without a username"
        }
    };
    let _ = writeln!(
        out,
        "password_env = {}  # {password}",
        string(&m.password_env)
    );
    kv(out, "from", &string(m.from.as_ref()));
    kv(out, "from_name", &string(&m.from_name));
    kv(out, "timeout_secs", &m.timeout.as_secs().to_string());
    match &m.ca_file {
        Some(file) => kv(out, "ca_file", &string(&file.to_string_lossy())),
        None => {
            let _ = writeln!(
                out,
                "# ca_file not set: the public roots (webpki-roots) only"
            );
        }
    }
    kv(out, "auth", &string(m.auth.as_str()));
    if let MailAuth::Xoauth2(oauth) = &m.auth {
        kv(out, "oauth_token_url", &string(oauth.token_url.as_str()));
        kv(out, "oauth_client_id", &string(&oauth.client_id));
        let _ = writeln!(
            out,
            "oauth_client_secret_env = {}  # {}",
            string(&oauth.client_secret_env),
            secret_state(env, &oauth.client_secret_env)
        );
        match &oauth.scope {
            Some(scope) => kv(out, "oauth_scope", &string(scope)),
            None => {
                let _ = writeln!(out, "# oauth_scope not set: the refresh token's own scopes");
            }
        }
        match &oauth.refresh_token_env {
            Some(var) => {
                let _ = writeln!(
                    out,
                    "oauth_refresh_token_env = {}  # {}",
                    string(var),
                    secret_state(env, var)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "# oauth_refresh_token_env not set: the client-credentials grant (app-only)"
                );
            }
        }
    }
    out.push('\n');
}

fn council(out: &mut String, config: &Config) {
    let _ = writeln!(out, "[council]");
    kv(out, "name", &string(&config.council.name));
    kv(out, "handle", &string(&config.council.handle));
    out.push('\n');
}

fn x(out: &mut String, config: &Config, env: Env<'_>) {
    let x = &config.x;
    let _ = writeln!(out, "[x]");
    kv(out, "api_base", &string(x.api_base.as_str()));
    kv(out, "authorize_url", &string(x.authorize_url.as_str()));
    kv(out, "access", &string(x.access.as_str()));
    kv(out, "query_max_len", &x.query_max_len.to_string());
    kv(out, "client_id", &string(&x.client_id));
    kv(out, "client_type", &string(x.client_type.as_str()));
    kv(out, "redirect_uri", &string(x.redirect_uri.as_str()));
    for (key, var) in [
        ("client_secret_env", &x.client_secret_env),
        ("bearer_token_env", &x.bearer_token_env),
        ("api_key_env", &x.api_key_env),
        ("api_secret_env", &x.api_secret_env),
    ] {
        let _ = writeln!(out, "{key} = {}  # {}", string(var), secret_state(env, var));
    }
    kv(
        out,
        "request_timeout_secs",
        &x.request_timeout.as_secs().to_string(),
    );
    kv(
        out,
        "connect_timeout_secs",
        &x.connect_timeout.as_secs().to_string(),
    );
    out.push('\n');
}

fn secret_state(env: Env<'_>, var: &str) -> &'static str {
    match env(var) {
        Some(v) if !v.is_empty() => "set",
        Some(_) => "set but empty (treated as not set)",
        None => "not set",
    }
}

fn monitor(out: &mut String, config: &Config) {
    let m = &config.monitor;
    let _ = writeln!(out, "[monitor]");
    list(out, "places", m.places.iter().map(Keyword::as_str));
    list(out, "exclusions", m.exclusions.iter().map(Keyword::as_str));
    list(out, "languages", m.languages.iter().map(String::as_str));
    kv(out, "backfill_days", &m.backfill_days.to_string());
    match m.min_interval {
        Some(min) => kv(out, "min_interval_secs", &min.as_secs().to_string()),
        None => {
            let _ = writeln!(
                out,
                "# min_interval_secs not set: derived from X's rate limits for the monitors"
            );
        }
    }
    kv(
        out,
        "max_interval_secs",
        &m.max_interval.as_secs().to_string(),
    );
    out.push('\n');
}

fn budget(out: &mut String, config: &Config) {
    let b = &config.budget;
    let _ = writeln!(out, "[budget]");
    let reads = b.monthly_post_reads.unwrap_or(0);
    let _ = writeln!(out, "monthly_post_reads = {reads}  # 0 = unlimited");
    kv(out, "post_read_usd", &float(b.post_read_usd));
    kv(out, "owned_read_usd", &float(b.owned_read_usd));
    kv(out, "user_read_usd", &float(b.user_read_usd));
    kv(out, "post_create_usd", &float(b.post_create_usd));
    kv(
        out,
        "post_create_with_url_usd",
        &float(b.post_create_with_url_usd),
    );
    kv(out, "summoned_reply_usd", &float(b.summoned_reply_usd));
    let usd = float(b.monthly_usd.unwrap_or(0.0));
    let _ = writeln!(out, "monthly_usd = {usd}  # 0 = no money cap");
    kv(out, "warn_at_percent", &b.warn_at_percent.to_string());
    out.push('\n');
}

/// `[store]`: the URL (a PostgreSQL password in it masked) and the
/// password's variable.
fn store(out: &mut String, config: &Config, env: Env<'_>) {
    let _ = writeln!(out, "\n[store]");
    match &config.store.database {
        Database::Sqlite(path) => {
            let url = format!("sqlite://{}", path.to_string_lossy());
            kv(out, "url", &string(&url));
        }
        Database::Postgres(url) => kv(out, "url", &string(&super::store::masked(url))),
    }
    if let Some(var) = &config.store.password_env {
        let _ = writeln!(
            out,
            "password_env = {}  # {}",
            string(var),
            secret_state(env, var)
        );
    }
    kv(
        out,
        "lease_secs",
        &config.store.lease.ttl.as_secs().to_string(),
    );
}

fn kv(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "{key} = {value}");
}

fn list<'a>(out: &mut String, key: &str, items: impl IntoIterator<Item = &'a str>) {
    let mut items = items.into_iter().peekable();
    if items.peek().is_none() {
        kv(out, key, "[]");
        return;
    }
    let _ = writeln!(out, "{key} = [");
    for item in items {
        let _ = writeln!(out, "    {},", string(item));
    }
    let _ = writeln!(out, "]");
}

/// A list of short words, several to a line.
fn word_list<'a>(out: &mut String, key: &str, items: impl IntoIterator<Item = &'a str>) {
    let mut line = String::new();
    let mut lines = Vec::new();
    for item in items {
        let item = format!("{},", string(item));
        if !line.is_empty() && line.len() + 1 + item.len() > 76 {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&item);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.is_empty() {
        kv(out, key, "[]");
        return;
    }
    let _ = writeln!(out, "{key} = [");
    for line in lines {
        let _ = writeln!(out, "    {line}");
    }
    let _ = writeln!(out, "]");
}

fn triage(out: &mut String, config: &Config) {
    let t = &config.triage;
    let _ = writeln!(out, "[triage]");
    let origin = if t.abuse == AbuseList::uk_default() {
        "the built-in UK list"
    } else {
        "as configured (abusive_words, or the built-in list, plus abusive_words_extra)"
    };
    let _ = writeln!(out, "# abusive_words: {origin}");
    word_list(out, "abusive_words", t.abuse.entries());
    let _ = writeln!(
        out,
        "abusive_words_extra = []  # any extra words are included above"
    );
    if t.false_friend_words == default_false_friend_context() {
        let _ = writeln!(out, "# false_friend_words: the built-in list");
    }
    word_list(
        out,
        "false_friend_words",
        t.false_friend_words.iter().map(Keyword::as_str),
    );
    out.push('\n');
}

/// Keys of a rule's `when` and `then`, in the order the file documents them.
const RULE_KEY_ORDER: &[&str] = &[
    "places",
    "words",
    "authors",
    "languages",
    "flags",
    "summoned",
    "tag",
    "tags",
    "priority",
    "owner",
    "team",
    "dismiss",
    "stop",
];

fn rules(out: &mut String, rules: &[Rule]) {
    if rules.is_empty() {
        let _ = writeln!(out, "# [[rules]]: none");
        return;
    }
    let _ = writeln!(out, "# [[rules]], applied in this order to every new post");
    for rule in rules {
        let _ = writeln!(out, "\n[[rules]]");
        kv(out, "name", &string(&rule.name));
        kv(out, "when", &inline(&rule.when, &Conditions::default()));
        kv(out, "then", &inline(&rule.then, &Effects::default()));
    }
}

fn templates(out: &mut String, templates: &Templates) {
    out.push('\n');
    if templates.list.is_empty() && templates.vars.is_empty() {
        let _ = writeln!(out, "# [templates]: none");
        return;
    }
    if !templates.vars.is_empty() {
        let _ = writeln!(out, "[templates.vars]");
        for (name, value) in &templates.vars {
            kv(out, &super::locate::join_key("", name), &string(value));
        }
    }
    for t in &templates.list {
        let _ = writeln!(out, "\n[[templates.reply]]");
        kv(out, "name", &string(t.name()));
        kv(out, "text", &string(t.text()));
        list_inline(out, "tags", t.tags());
        if let Some(welsh) = t.welsh() {
            kv(out, "welsh", &string(welsh));
        }
        kv(out, "requires_approval", &t.requires_approval().to_string());
    }
}

fn list_inline(out: &mut String, key: &str, items: &[String]) {
    let items: Vec<String> = items.iter().map(|i| string(i)).collect();
    kv(out, key, &format!("[{}]", items.join(", ")));
}

/// `value` as a one-line inline table, leaving out the keys that equal
/// `default`'s (an empty list, `false`, an unset option), in the file's
/// key order. Going through serde keeps this in step with the domain type.
fn inline<T: serde::Serialize>(value: &T, default: &T) -> String {
    let table = |v: &T| match toml::Value::try_from(v) {
        Ok(toml::Value::Table(t)) => t,
        _ => toml::Table::new(),
    };
    let (value, default) = (table(value), table(default));
    let mut keys: Vec<&String> = value
        .keys()
        .filter(|k| default.get(*k) != value.get(*k))
        .collect();
    keys.sort_by_key(|k| {
        let at = RULE_KEY_ORDER.iter().position(|o| o == k);
        (at.unwrap_or(RULE_KEY_ORDER.len()), k.to_string())
    });
    let parts: Vec<String> = keys
        .iter()
        .map(|k| format!("{} = {}", super::locate::join_key("", k), value[*k]))
        .collect();
    if parts.is_empty() {
        "{}".into()
    } else {
        format!("{{ {} }}", parts.join(", "))
    }
}

/// A TOML string literal (toml's own writer does the escaping).
fn string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn float(f: f64) -> String {
    toml::Value::Float(f).to_string()
}

/// Keep a comment on one line whatever the path contains.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn alerts(out: &mut String, alerts: &super::AlertsConfig) {
    let _ = writeln!(out, "[alerts]");
    kv(out, "spike_factor", &float(alerts.rule.factor));
    kv(out, "spike_min_posts", &alerts.rule.min_posts.to_string());
    kv(
        out,
        "baseline_weeks",
        &alerts.rule.baseline_weeks.to_string(),
    );
    match &alerts.team {
        Some(team) => kv(out, "team", &string(team)),
        None => {
            let _ = writeln!(out, "team = \"\"  # none: the desk's banner only");
        }
    }
    kv(
        out,
        "check_interval_secs",
        &alerts.check_interval.as_secs().to_string(),
    );
    out.push('\n');
}

fn reports(out: &mut String, reports: &super::ReportsConfig) {
    let _ = writeln!(out, "[reports]");
    if reports.weekly_to.is_empty() {
        let _ = writeln!(out, "weekly_to = []  # nobody: no weekly report email");
    } else {
        let to: Vec<String> = reports.weekly_to.iter().map(ToString::to_string).collect();
        list_inline(out, "weekly_to", &to);
    }
    kv(
        out,
        "weekly_day",
        &string(&reports.weekly_day.to_string().to_lowercase()),
    );
    kv(out, "weekly_at", &string(&reports.weekly_at.to_string()));
    out.push('\n');
}

fn office_hours(out: &mut String, hours: &super::OfficeHoursConfig) {
    let _ = writeln!(out, "[office_hours]  # UK time (Europe/London)");
    for (day, key) in super::hours::DAYS {
        let opening = hours.hours.week().day(day);
        let value = opening.map_or_else(|| "closed".to_owned(), |o| o.to_string());
        kv(out, key, &string(&value));
    }
    kv(out, "bank_holidays", &string(hours.division.as_str()));
    match &hours.holidays_file {
        Some(path) => kv(
            out,
            "bank_holidays_file",
            &string(&path.display().to_string()),
        ),
        None => {
            let _ = writeln!(
                out,
                "# bank_holidays_file: none (the list shipped with placewatch)"
            );
        }
    }
    if let Some((first, last)) = hours.holidays_range {
        let _ = writeln!(out, "# bank holidays listed from {first} to {last}");
    }
    kv(out, "clock", &string(hours.clock.as_str()));
    out.push('\n');
}
