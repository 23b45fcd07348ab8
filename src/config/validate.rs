//! Raw (deserialized) config → validated, typed `Config`. Each check names
//! the dotted key; `Ctx` turns that into a file line or an env variable.
//! The first failing check wins, in schema order (council, x, monitor, ...).

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::de::{DeTable, DeValue};
use url::{Host, Url};

use super::Config;
use super::env::{KNOWN, PREFIX, RULES, TEAMS, TEMPLATES};
use super::error::ConfigError;
use super::locate::Ctx;
use super::places::{ListKind, keyword_list, languages, position_ignoring_case};
use super::schema::*;
use super::{templates, triage};
use crate::domain::team::{DigestAt, EnvNameError, check_env_name};

type Result<T> = std::result::Result<T, ConfigError>;

/// Validate everything, resolving paths against the config file's directory.
pub(crate) fn validate(raw: RawConfig, ctx: &Ctx<'_>) -> Result<Config> {
    let council = council(raw.council, ctx)?;
    let x = x_config(raw.x, ctx)?;
    let monitor = monitor(raw.monitor, ctx)?;
    let mail = raw
        .mail
        .map(|m| super::mail::mail(m, &council.name, &x, ctx))
        .transpose()?;
    let teams = super::teams::teams(raw.teams, &x, mail.as_ref(), ctx)?;
    let alerts = alerts(raw.alerts, &teams, ctx)?;
    let reports = reports(raw.reports, mail.as_ref(), ctx)?;
    let office_hours = super::hours::office_hours(raw.office_hours, ctx)?;
    let data = data(raw.data, ctx)?;
    Ok(Config {
        office_hours,
        council,
        budget: budget(raw.budget, ctx)?,
        store: super::store::store(
            raw.store,
            &data.dir,
            &x,
            mail.as_ref().map(|m| &m.password_env),
            ctx,
        )?,
        data,
        sim: sim(raw.sim, ctx)?,
        log: log(raw.log, ctx)?,
        desk: desk(raw.desk, ctx)?,
        replies: replies(raw.replies, &x, ctx)?,
        triage: triage::triage(raw.triage, &monitor.places, ctx)?,
        rules: triage::rules(raw.rules, &monitor.places, &teams, ctx)?,
        templates: templates::templates(raw.templates, ctx)?,
        mail,
        teams,
        alerts,
        reports,
        monitor,
        x,
        source: ctx.path.to_path_buf(),
    })
}

/// Every known section must be a table. serde would also accept an array (a
/// struct can be read from a sequence), silently reading `sim = [7, 2.0, 1]`
/// or `[[sim]]` by position; refuse that before deserializing.
pub(crate) fn sections_are_tables(root: &DeTable<'_>, ctx: &Ctx<'_>) -> Result<()> {
    for (key, value) in root.iter() {
        let section = key.get_ref();
        if section == RULES || section == TEAMS {
            if let DeValue::Table(_) = value.get_ref() {
                let what = if section == RULES { "rule" } else { "team" };
                let message = format!(
                    "must be an array of tables: write each {what} under its own \
                     [[{section}]] header, not [{section}]"
                );
                return Err(ctx.shape_error(section, message));
            }
            continue;
        }
        if section == TEMPLATES
            && let DeValue::Table(table) = value.get_ref()
        {
            templates::shape(table, ctx)?;
            continue;
        }
        let known = section == TEMPLATES || KNOWN.iter().any(|(s, _)| *s == section.as_ref());
        let shape = match value.get_ref() {
            DeValue::Table(_) => continue,
            DeValue::Array(a) if a.iter().all(|v| matches!(v.get_ref(), DeValue::Table(_))) => {
                "an array of tables (write [section], not [[section]])"
            }
            DeValue::Array(_) => "an array",
            _ => "a single value",
        };
        if known {
            let message = format!("must be a table [{section}], not {shape}");
            return Err(ctx.shape_error(section, message));
        }
    }
    Ok(())
}

fn council(raw: RawCouncil, ctx: &Ctx<'_>) -> Result<Council> {
    let name = raw.name.trim();
    if name.is_empty() {
        return Err(ctx.invalid("council.name", "must not be empty"));
    }
    check_handle(&raw.handle).map_err(|m| ctx.invalid("council.handle", m))?;
    Ok(Council {
        name: name.to_string(),
        handle: raw.handle,
    })
}

/// An X username: `^[A-Za-z0-9_]{1,15}$`.
pub(super) fn check_handle(handle: &str) -> std::result::Result<(), String> {
    if let Some(rest) = handle.strip_prefix('@') {
        return Err(format!(
            "write the username without the leading @: handle = {rest:?}"
        ));
    }
    if crate::domain::query::is_username(handle) {
        Ok(())
    } else {
        Err(format!(
            "must be an X username: 1 to 15 letters, digits or underscores, got {handle:?}"
        ))
    }
}

fn x_config(raw: RawX, ctx: &Ctx<'_>) -> Result<XConfig> {
    let api_base = api_base(ctx, &raw.api_base)?;
    let authorize_url = http_url(ctx, "x.authorize_url", &raw.authorize_url)?;
    let redirect_uri = redirect_uri(ctx, &raw.redirect_uri)?;
    let query_max_len = query_max_len(ctx, raw.access, raw.query_max_len)?;
    if raw
        .client_id
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ctx.invalid(
            "x.client_id",
            "must not contain spaces or control characters",
        ));
    }
    let env_keys = [
        ("x.client_secret_env", &raw.client_secret_env),
        ("x.bearer_token_env", &raw.bearer_token_env),
        ("x.api_key_env", &raw.api_key_env),
        ("x.api_secret_env", &raw.api_secret_env),
    ];
    check_env_names(ctx, &env_keys)?;
    let request = int_in(
        ctx,
        "x.request_timeout_secs",
        raw.request_timeout_secs,
        1,
        300,
    )?;
    let connect = int_in(
        ctx,
        "x.connect_timeout_secs",
        raw.connect_timeout_secs,
        1,
        60,
    )?;
    Ok(XConfig {
        api_base,
        authorize_url,
        access: raw.access,
        query_max_len,
        client_id: raw.client_id,
        client_type: raw.client_type,
        redirect_uri,
        client_secret_env: raw.client_secret_env,
        bearer_token_env: raw.bearer_token_env,
        api_key_env: raw.api_key_env,
        api_secret_env: raw.api_secret_env,
        request_timeout: Duration::from_secs(request),
        connect_timeout: Duration::from_secs(connect),
    })
}

/// The API base, with a trailing `/` so `join("2/tweets")` keeps any prefix.
fn api_base(ctx: &Ctx<'_>, value: &str) -> Result<Url> {
    let mut url = http_url(ctx, "x.api_base", value)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ctx.invalid("x.api_base", "must not have a query or fragment"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn query_max_len(ctx: &Ctx<'_>, access: Access, raw: Option<i64>) -> Result<usize> {
    let tier_max = access.max_query_len();
    let Some(len) = raw else {
        return Ok(tier_max);
    };
    let len = int_in(ctx, "x.query_max_len", len, 1, 4096)?;
    if len > tier_max as u64 {
        return Err(ctx.invalid(
            "x.query_max_len",
            format!(
                "{len} is above the {tier_max}-character limit of x.access = {:?}; \
                 only Enterprise access allows up to 4096",
                access.as_str()
            ),
        ));
    }
    Ok(len as usize)
}

/// An http(s) URL with a host and no credentials; plain http only on loopback.
fn http_url(ctx: &Ctx<'_>, key: &str, value: &str) -> Result<Url> {
    let url = Url::parse(value.trim())
        .map_err(|e| ctx.invalid(key, format!("not a valid URL ({e}): {value:?}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        // Don't echo the value: it may hold a password.
        return Err(ctx.invalid(key, "must not contain a username or password"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ctx.invalid(
                key,
                format!(
                    "plain http is only allowed for loopback hosts (127.0.0.0/8, ::1, \
                     localhost); use https: {value:?}"
                ),
            ));
        }
        other => {
            return Err(ctx.invalid(key, format!("must be an http or https URL, not {other}:")));
        }
    }
    if url.host().is_none() {
        return Err(ctx.invalid(key, format!("has no host: {value:?}")));
    }
    Ok(url)
}

/// The OAuth callback that `placewatch auth login` serves itself: plain http
/// on a loopback address.
fn redirect_uri(ctx: &Ctx<'_>, value: &str) -> Result<Url> {
    let key = "x.redirect_uri";
    let url = http_url(ctx, key, value)?;
    if url.scheme() != "http" || !is_loopback(&url) {
        return Err(ctx.invalid(
            key,
            format!(
                "must be a plain http URL on a loopback host (e.g. \
                 \"http://127.0.0.1:8765/callback\"), because `placewatch auth login` \
                 serves the callback itself: {value:?}"
            ),
        ));
    }
    if url.fragment().is_some() {
        return Err(ctx.invalid(key, "must not have a #fragment"));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The `*_env` keys hold variable NAMES. Messages never repeat the value:
/// a wrong value here is most likely the secret itself.
pub(super) fn check_env_names(ctx: &Ctx<'_>, keys: &[(&str, &String)]) -> Result<()> {
    for (i, (key, name)) in keys.iter().enumerate() {
        // The rule the desk checks too (`domain::team::check_env_name`).
        match check_env_name(name) {
            Ok(()) => {}
            Err(EnvNameError::NotAName) => {
                return Err(ctx.invalid(
                    key,
                    "must be the NAME of an environment variable (letters, digits and _, \
                     e.g. \"PLACEWATCH_CLIENT_SECRET\"), never the secret itself; the value \
                     is not shown here",
                ));
            }
            Err(EnvNameError::Reserved) => {
                return Err(ctx.invalid(
                    key,
                    format!("{name} starts with {PREFIX}, which is reserved for overrides"),
                ));
            }
        }
        if let Some((other, _)) = keys[..i].iter().find(|(_, n)| n == name) {
            return Err(ctx.invalid(key, format!("names the same variable as {other}")));
        }
    }
    Ok(())
}

fn monitor(raw: RawMonitor, ctx: &Ctx<'_>) -> Result<Monitor> {
    if raw.places.is_empty() {
        return Err(ctx.invalid("monitor.places", "list at least one place name"));
    }
    let places = keyword_list(ctx, "monitor.places", &raw.places, ListKind::Search)?;
    let exclusions = keyword_list(ctx, "monitor.exclusions", &raw.exclusions, ListKind::Search)?;
    for (i, excl) in exclusions.iter().enumerate() {
        if let Some(j) = position_ignoring_case(&places, excl.as_str()) {
            return Err(ctx.invalid(
                &format!("monitor.exclusions[{i}]"),
                format!(
                    "{:?} is also monitor.places[{j}]; excluding it would hide every post about it",
                    excl.as_str()
                ),
            ));
        }
    }
    let languages = languages(ctx, raw.languages)?;
    let backfill_days = int_in(ctx, "monitor.backfill_days", raw.backfill_days, 1, 7)?;
    let max = raw.max_interval_secs;
    let max_interval = int_in(ctx, "monitor.max_interval_secs", max, 1, i64::MAX)?;
    let min_interval = raw
        .min_interval_secs
        .map(|min| int_in(ctx, "monitor.min_interval_secs", min, 1, i64::MAX))
        .transpose()?;
    if let Some(min) = raw.min_interval_secs.filter(|min| *min > max) {
        // Blame the key the user actually wrote.
        let key = if ctx.index.contains("monitor.min_interval_secs") {
            "monitor.min_interval_secs"
        } else {
            "monitor.max_interval_secs"
        };
        return Err(ctx.invalid(
            key,
            format!("min_interval_secs ({min}) must not exceed max_interval_secs ({max})"),
        ));
    }
    Ok(Monitor {
        places,
        exclusions,
        languages,
        backfill_days: backfill_days as u32,
        min_interval: min_interval.map(Duration::from_secs),
        max_interval: Duration::from_secs(max_interval),
    })
}

fn budget(raw: RawBudget, ctx: &Ctx<'_>) -> Result<Budget> {
    let reads = int_in(
        ctx,
        "budget.monthly_post_reads",
        raw.monthly_post_reads,
        0,
        i64::MAX,
    )?;
    let usd = |key: &str, v: f64| nonneg_finite(ctx, &format!("budget.{key}"), v);
    let monthly_usd = usd("monthly_usd", raw.monthly_usd)?;
    let warn = int_in(ctx, "budget.warn_at_percent", raw.warn_at_percent, 1, 100)?;
    Ok(Budget {
        monthly_post_reads: (reads > 0).then_some(reads),
        post_read_usd: usd("post_read_usd", raw.post_read_usd)?,
        owned_read_usd: usd("owned_read_usd", raw.owned_read_usd)?,
        user_read_usd: usd("user_read_usd", raw.user_read_usd)?,
        post_create_usd: usd("post_create_usd", raw.post_create_usd)?,
        post_create_with_url_usd: usd("post_create_with_url_usd", raw.post_create_with_url_usd)?,
        summoned_reply_usd: usd("summoned_reply_usd", raw.summoned_reply_usd)?,
        monthly_usd: (monthly_usd > 0.0).then_some(monthly_usd),
        warn_at_percent: warn as u8,
    })
}

fn data(raw: RawData, ctx: &Ctx<'_>) -> Result<Data> {
    let dir = resolve_path(ctx, "data.dir", &raw.dir)?;
    Ok(Data { dir })
}

/// A path as written at `key`, absolute: a relative one is resolved
/// against the config file's directory. `~` is refused (never expanded).
pub(super) fn resolve_path(ctx: &Ctx<'_>, key: &str, value: &str) -> Result<PathBuf> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ctx.invalid(key, "must not be empty"));
    }
    if value.starts_with('~') {
        return Err(ctx.invalid(
            key,
            "`~` is not expanded; write an absolute path or one relative to this file",
        ));
    }
    let base = ctx.path.parent().unwrap_or(Path::new(""));
    let joined: PathBuf = base.join(value);
    std::path::absolute(&joined)
        .map_err(|e| ctx.invalid(key, format!("cannot resolve {joined:?}: {e}")))
}

fn log(raw: RawLog, ctx: &Ctx<'_>) -> Result<LogConfig> {
    let format = match raw.format.trim() {
        "text" => LogFormat::Text,
        "json" => LogFormat::Json,
        other => {
            return Err(ctx.invalid(
                "log.format",
                format!("{other:?} is not a log format: \"text\" or \"json\""),
            ));
        }
    };
    Ok(LogConfig { format })
}

fn sim(raw: RawSim, ctx: &Ctx<'_>) -> Result<SimConfig> {
    let seed = int_in(ctx, "sim.seed", raw.seed, 0, i64::MAX)?;
    let rate_per_min = nonneg_finite(ctx, "sim.rate_per_min", raw.rate_per_min)?;
    let backlog_days = int_in(ctx, "sim.backlog_days", raw.backlog_days, 0, 7)?;
    Ok(SimConfig {
        seed,
        rate_per_min,
        backlog_days: backlog_days as u32,
    })
}

fn desk(raw: RawDesk, ctx: &Ctx<'_>) -> Result<DeskConfig> {
    let public_url = raw
        .public_url
        .filter(|u| !u.trim().is_empty())
        .map(|u| http_url(ctx, "desk.public_url", &u))
        .transpose()?;
    let hours = int_in(ctx, "desk.session_hours", raw.session_hours, 1, 24 * 30)?;
    let trusted_proxies = raw
        .trusted_proxies
        .iter()
        .map(|a| {
            a.trim().parse().map_err(|_| {
                ctx.invalid(
                    "desk.trusted_proxies",
                    format!("{a:?} is not an IP address (such as \"10.0.0.5\" or \"::1\")"),
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let minutes = |priority: &str, value: i64| {
        let key = format!("desk.waiting_target_{priority}_minutes");
        int_in(ctx, &key, value, 1, 60 * 24 * 365).map(|m| Duration::from_secs(m * 60))
    };
    let waiting_targets = crate::domain::triage::WaitingTargets {
        urgent: minutes("urgent", raw.waiting_target_urgent_minutes)?,
        high: minutes("high", raw.waiting_target_high_minutes)?,
        normal: minutes("normal", raw.waiting_target_normal_minutes)?,
        low: minutes("low", raw.waiting_target_low_minutes)?,
    };
    let bulk_max_items = int_in(ctx, "desk.bulk_max_items", raw.bulk_max_items, 1, 50_000)?;
    let monitoring_listen = match raw.monitoring_listen.trim() {
        "" => None,
        addr => Some(addr.parse().map_err(|_| {
            ctx.invalid(
                "desk.monitoring_listen",
                format!("{addr:?} is not an address and port (such as \"127.0.0.1:9464\"), or \"\" for none"),
            )
        })?),
    };
    let monitoring_token_env = raw
        .monitoring_token_env
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty());
    let tls = match (raw.tls_cert_file, raw.tls_key_file) {
        (None, None) => None,
        (Some(cert), Some(key)) => {
            let tls = DeskTls {
                cert_file: resolve_path(ctx, "desk.tls_cert_file", &cert)?,
                key_file: resolve_path(ctx, "desk.tls_key_file", &key)?,
            };
            if public_url.as_ref().is_none_or(|u| u.scheme() != "https") {
                return Err(ctx.invalid(
                    "desk.tls_cert_file",
                    "needs desk.public_url: the https address the certificate is for, as officers type it",
                ));
            }
            Some(tls)
        }
        (Some(_), None) => {
            return Err(ctx.invalid("desk.tls_cert_file", "needs desk.tls_key_file beside it"));
        }
        (None, Some(_)) => {
            return Err(ctx.invalid("desk.tls_key_file", "needs desk.tls_cert_file beside it"));
        }
    };
    Ok(DeskConfig {
        tls,
        monitoring_listen,
        monitoring_token_env,
        waiting_targets,
        bulk_max_items: bulk_max_items as u32,
        public_url,
        session_ttl: Duration::from_secs(hours * 3600),
        officer_replies_need_approval: raw.officer_replies_need_approval,
        allow_self_approval: raw.allow_self_approval,
        trusted_proxies,
    })
}

fn replies(raw: RawReplies, x: &XConfig, ctx: &Ctx<'_>) -> Result<RepliesConfig> {
    let in_flight_grace = match raw.in_flight_grace_secs {
        Some(secs) => {
            Duration::from_secs(int_in(ctx, "replies.in_flight_grace_secs", secs, 0, 3600)?)
        }
        None => x.request_timeout * defaults::IN_FLIGHT_GRACE_TIMEOUTS,
    };
    let every = int_in(
        ctx,
        "replies.reconcile_interval_secs",
        raw.reconcile_interval_secs,
        1,
        600,
    )?;
    let manual = int_in(
        ctx,
        "replies.manual_check_interval_secs",
        raw.manual_check_interval_secs,
        5,
        3600,
    )?;
    Ok(RepliesConfig {
        in_flight_grace,
        reconcile_interval: Duration::from_secs(every),
        manual_check_interval: Duration::from_secs(manual),
    })
}

/// `value` within `lo..=hi` (with `lo >= 0`), as `u64`.
pub(super) fn int_in(ctx: &Ctx<'_>, key: &str, value: i64, lo: i64, hi: i64) -> Result<u64> {
    if (lo..=hi).contains(&value) {
        return Ok(value.unsigned_abs());
    }
    let message = if hi == i64::MAX {
        format!("must be at least {lo}, got {value}")
    } else {
        format!("must be between {lo} and {hi}, got {value}")
    };
    Err(ctx.invalid(key, message))
}

fn nonneg_finite(ctx: &Ctx<'_>, key: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(ctx.invalid(key, format!("must be a finite number >= 0, got {value}")))
    }
}

fn alerts(raw: RawAlerts, teams: &[super::TeamConfig], ctx: &Ctx<'_>) -> Result<AlertsConfig> {
    let factor = nonneg_finite(ctx, "alerts.spike_factor", raw.spike_factor)?;
    if !(1.0..=1000.0).contains(&factor) {
        return Err(ctx.invalid(
            "alerts.spike_factor",
            format!("must be between 1 and 1000 (times the usual level), got {factor}"),
        ));
    }
    let min_posts = int_in(
        ctx,
        "alerts.spike_min_posts",
        raw.spike_min_posts,
        1,
        1_000_000,
    )?;
    let weeks = int_in(ctx, "alerts.baseline_weeks", raw.baseline_weeks, 1, 52)?;
    let every = int_in(
        ctx,
        "alerts.check_interval_secs",
        raw.check_interval_secs,
        1,
        3600,
    )?;
    let team = raw.team.trim();
    let team = if team.is_empty() {
        None
    } else {
        let Some(found) = teams
            .iter()
            .find(|t| t.name.to_lowercase() == team.to_lowercase())
        else {
            let names: Vec<&str> = teams.iter().map(|t| t.name.as_str()).collect();
            let known = if names.is_empty() {
                "there are no [[teams]]".to_string()
            } else {
                format!("the [[teams]] are {}", names.join(", "))
            };
            return Err(ctx.invalid(
                "alerts.team",
                format!("{team:?} is not the name of a [[teams]] entry ({known})"),
            ));
        };
        if found.teams_webhook_env.is_none() && found.slack_webhook_env.is_none() {
            return Err(ctx.invalid(
                "alerts.team",
                format!(
                    "team {:?} has no channel: give it teams_webhook_env or slack_webhook_env",
                    found.name
                ),
            ));
        }
        Some(found.name.clone())
    };
    Ok(AlertsConfig {
        rule: crate::domain::spike::SpikeRule {
            factor,
            min_posts,
            baseline_weeks: weeks as u32,
        },
        team,
        check_interval: Duration::from_secs(every),
    })
}

fn reports(raw: RawReports, mail: Option<&MailConfig>, ctx: &Ctx<'_>) -> Result<ReportsConfig> {
    let mut weekly_to = Vec::with_capacity(raw.weekly_to.len());
    for address in &raw.weekly_to {
        let parsed = crate::domain::team::parse_team_address(address)
            .map_err(|e| ctx.invalid("reports.weekly_to", format!("{address:?}: {e}")))?;
        // Mailboxes are one whatever the case they are written in.
        let same =
            |a: &crate::domain::mail::Address| a.to_string().eq_ignore_ascii_case(parsed.as_ref());
        if !weekly_to.iter().any(same) {
            weekly_to.push(parsed);
        }
    }
    if !weekly_to.is_empty() && mail.is_none() {
        return Err(ctx.invalid(
            "reports.weekly_to",
            "the weekly report is emailed, so it needs a [mail] section (the SMTP server \
             to send through); leave weekly_to out or empty for no weekly email",
        ));
    }
    let day = raw.weekly_day.trim().to_lowercase();
    let weekly_day = WEEKDAYS
        .into_iter()
        .find(|d| d.to_string().to_lowercase() == day)
        .ok_or_else(|| {
            ctx.invalid(
                "reports.weekly_day",
                format!(
                    "{:?} is not a day of the week (monday … sunday)",
                    raw.weekly_day
                ),
            )
        })?;
    let weekly_at = DigestAt::parse(raw.weekly_at.trim()).ok_or_else(|| {
        ctx.invalid(
            "reports.weekly_at",
            format!(
                "{:?} is not a time of day as HH:MM (UK time, e.g. \"08:00\")",
                raw.weekly_at
            ),
        )
    })?;
    Ok(ReportsConfig {
        weekly_to,
        weekly_day,
        weekly_at,
    })
}

const WEEKDAYS: [time::Weekday; 7] = [
    time::Weekday::Monday,
    time::Weekday::Tuesday,
    time::Weekday::Wednesday,
    time::Weekday::Thursday,
    time::Weekday::Friday,
    time::Weekday::Saturday,
    time::Weekday::Sunday,
];
