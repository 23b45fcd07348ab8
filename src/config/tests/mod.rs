//! Tests for the config module: every error names file, key and line (or
//! the variable); overrides; defaults; the reference file; masked rendering.

mod alerts;
mod errors;
mod hours;
mod mail;
mod overrides;
mod reports;
mod rules;
mod store;
mod teams;
mod templates;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::ExposeSecret;

use super::*;

const PATH: &str = "config/placewatch.toml";

const MINIMAL: &str = r#"[council]
name = "Croydon Council"
handle = "yourcroydon"

[monitor]
places = ["Croydon", "East Croydon"]
"#;

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(src: &str) -> Result<Config, ConfigError> {
    Config::from_str_with_env(src, Path::new(PATH), &no_env)
}

fn parse_env(src: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_str_with_env(src, Path::new(PATH), &|k| map.get(k).cloned())
}

/// The rendered message of the error `src` must produce.
fn err(src: &str) -> String {
    parse(src)
        .expect_err("config should be rejected")
        .to_string()
}

fn env_err(src: &str, vars: &[(&str, &str)]) -> String {
    parse_env(src, vars)
        .expect_err("override should be rejected")
        .to_string()
}

fn with_monitor(extra: &str) -> String {
    format!("{MINIMAL}{extra}\n")
}

// ------------------------------------------------------------ loading

#[test]
fn minimal_file_gets_every_default() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(c.council.handle, "yourcroydon");
    assert_eq!(c.x.api_base.as_str(), "https://api.x.com/");
    assert_eq!(c.x.access, Access::SelfServe);
    assert_eq!(c.x.query_max_len, 512);
    assert_eq!(c.x.client_type, ClientType::Confidential);
    assert_eq!(c.x.client_secret_env, "PLACEWATCH_CLIENT_SECRET");
    assert_eq!(c.x.request_timeout, Duration::from_secs(30));
    assert_eq!(c.monitor.languages, ["en"]);
    assert_eq!(c.monitor.backfill_days, 7);
    assert_eq!(c.monitor.min_interval, None, "derived from the rate limits");
    assert_eq!(c.monitor.max_interval, Duration::from_secs(900));
    assert_eq!(c.budget.monthly_post_reads, Some(15_000));
    assert_eq!(c.budget.post_create_with_url_usd, 0.20);
    assert_eq!(c.budget.monthly_usd, None);
    assert_eq!(c.sim.seed, 42);
    assert_eq!(c.source, PathBuf::from(PATH));
}

#[test]
fn replies_grace_follows_the_request_timeout_unless_set() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(c.replies.in_flight_grace, Duration::from_secs(60));
    assert_eq!(c.replies.reconcile_interval, Duration::from_secs(20));
    let c = parse(&with_monitor("[x]\nrequest_timeout_secs = 45")).unwrap();
    assert_eq!(c.replies.in_flight_grace, Duration::from_secs(90));
    let c = parse(&with_monitor(
        "[replies]\nin_flight_grace_secs = 3\nreconcile_interval_secs = 1",
    ))
    .unwrap();
    assert_eq!(c.replies.in_flight_grace, Duration::from_secs(3));
    assert_eq!(c.replies.reconcile_interval, Duration::from_secs(1));
    let c = parse_env(
        MINIMAL,
        &[("PLACEWATCH__REPLIES__IN_FLIGHT_GRACE_SECS", "0")],
    )
    .unwrap();
    assert_eq!(c.replies.in_flight_grace, Duration::ZERO);
    assert_eq!(
        err(&with_monitor("[replies]\nreconcile_interval_secs = 0")),
        "config/placewatch.toml:8: replies.reconcile_interval_secs: must be between 1 and 600, got 0"
    );
    assert_eq!(
        err(&with_monitor("[replies]\nin_flight_grace_secs = -1")),
        "config/placewatch.toml:8: replies.in_flight_grace_secs: must be between 0 and 3600, got -1"
    );
}

#[test]
fn reference_file_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/placewatch.toml");
    let source = std::fs::read_to_string(&path).unwrap();
    let c = Config::from_str_with_env(&source, &path, &no_env).unwrap();
    assert_eq!(c.council.handle, "yourcroydon");
    assert!(c.monitor.places.len() >= 26, "{:?}", c.monitor.places);
    for place in [
        "Croydon",
        "Cherry Orchard Road",
        "Boxpark Croydon",
        "Purley Way",
    ] {
        assert!(
            c.monitor.places.iter().any(|p| p.as_str() == place),
            "{place}"
        );
    }
    assert!(
        c.monitor
            .exclusions
            .iter()
            .any(|e| e.as_str() == "Croydon Park")
    );
    let names: Vec<&str> = c.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["bins", "summoned", "abusive", "false friends"]);
    assert_eq!(
        c.triage.abuse,
        crate::domain::triage::AbuseList::uk_default()
    );
    assert_eq!(
        c.triage.false_friend_words,
        crate::domain::triage::default_false_friend_context()
    );
    assert_eq!(c.data.dir, path.parent().unwrap().join("data"));
    // And through the real entry point (no PLACEWATCH__* vars in the test env).
    assert_eq!(Config::load(&path).unwrap().council, c.council);
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let e = Config::load(Path::new("/nonexistent/placewatch.toml")).unwrap_err();
    assert!(matches!(e, ConfigError::Io { .. }));
    assert!(
        e.to_string()
            .starts_with("/nonexistent/placewatch.toml: cannot read")
    );
}

#[test]
fn relative_data_dir_resolves_against_the_config_file() {
    let src = with_monitor("[data]\ndir = \"var/pw\"");
    let c = Config::from_str_with_env(&src, Path::new("/etc/placewatch/pw.toml"), &no_env);
    assert_eq!(c.unwrap().data.dir, PathBuf::from("/etc/placewatch/var/pw"));

    let c = parse(&src).unwrap();
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(c.data.dir, cwd.join("config/var/pw"));
    assert!(c.data.dir.is_absolute());

    let abs = with_monitor("[data]\ndir = \"/srv/placewatch\"");
    assert_eq!(
        parse(&abs).unwrap().data.dir,
        PathBuf::from("/srv/placewatch")
    );
    assert!(err(&with_monitor("[data]\ndir = \"~/pw\"")).contains("`~` is not expanded"));
}

#[test]
fn query_length_defaults_follow_the_tier() {
    let tier = |extra: &str| parse(&format!("{MINIMAL}[x]\n{extra}\n"));
    assert_eq!(tier("").unwrap().x.query_max_len, 512);
    assert_eq!(
        tier("access = \"enterprise\"").unwrap().x.query_max_len,
        4096
    );
    let set = tier("access = \"enterprise\"\nquery_max_len = 2000");
    assert_eq!(set.unwrap().x.query_max_len, 2000);
    assert_eq!(tier("query_max_len = 300").unwrap().x.query_max_len, 300);
    let e = tier("query_max_len = 1000").unwrap_err().to_string();
    assert_eq!(
        e,
        "config/placewatch.toml:8: x.query_max_len: 1000 is above the 512-character limit \
         of x.access = \"self-serve\"; only Enterprise access allows up to 4096"
    );
    assert!(
        tier("query_max_len = 0")
            .unwrap_err()
            .to_string()
            .contains("between 1 and 4096")
    );
}

// ------------------------------------------------------------ secrets

fn secret_env(name: &str) -> Option<String> {
    match name {
        "PLACEWATCH_CLIENT_SECRET" => Some("cs-very-secret".into()),
        "PLACEWATCH_BEARER_TOKEN" => Some("AAAA-bearer-secret".into()),
        "PLACEWATCH_API_KEY" => Some("key-secret".into()),
        "PLACEWATCH_API_SECRET" => Some(String::new()),
        _ => None,
    }
}

const SECRETS: [&str; 3] = ["cs-very-secret", "AAAA-bearer-secret", "key-secret"];

#[test]
fn secrets_are_read_from_the_named_variables() {
    let c = parse(MINIMAL).unwrap();
    let secrets = Secrets::resolve(&c, &secret_env);
    let secret = secrets.client_secret.clone().unwrap();
    assert_eq!(secret.expose_secret(), "cs-very-secret");
    assert_eq!(
        secrets.bearer_token.as_ref().unwrap().expose_secret(),
        SECRETS[1]
    );
    // An empty API secret counts as unset, so there is no pair.
    assert!(secrets.api_key_pair.is_none());
    assert!(Secrets::resolve(&c, &no_env).client_secret.is_none());
    let debug = format!("{c:?} {secret:?} {secrets:?}");
    for s in SECRETS {
        assert!(!debug.contains(s), "{debug}");
    }
}

#[test]
fn render_effective_round_trips_and_masks_secrets() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/placewatch.toml");
    let source = std::fs::read_to_string(&path).unwrap();
    let c = Config::from_str_with_env(&source, &path, &secret_env).unwrap();
    let rendered = c.render_effective_with_env(&secret_env);
    for s in SECRETS {
        assert!(!rendered.contains(s), "{rendered}");
    }
    assert!(rendered.contains("client_secret_env = \"PLACEWATCH_CLIENT_SECRET\"  # set\n"));
    assert!(rendered.contains("api_secret_env = \"PLACEWATCH_API_SECRET\"  # set but empty"));
    // Triage and rules are shown too, the rules in order.
    assert!(rendered.contains("\n[triage]\n# abusive_words: the built-in UK list\n"));
    assert!(rendered.contains(
        "\n[[rules]]\nname = \"bins\"\nwhen = { words = [\"bin\", \"bins\", \"fly-tipping\", \
         \"flytipping\", \"litter\", \"rubbish\"] }\nthen = { tag = \"waste\", team = \
         \"Streets team\" }\n"
    ));
    assert!(rendered.contains("name = \"false friends\"\nwhen = { flags = [\"false_friend\"] }\nthen = { dismiss = true }\n"));
    let back = Config::from_str_with_env(&rendered, &path, &no_env).unwrap();
    assert_eq!(back, c);
    assert!(rendered.parse::<toml::Table>().is_ok());
}

#[test]
fn the_monthly_read_cap_is_the_smaller_of_reads_and_money() {
    let cap = |extra: &str| {
        parse(&with_monitor(&format!("[budget]\n{extra}")))
            .unwrap()
            .budget
            .monthly_read_cap()
    };
    assert_eq!(cap("monthly_post_reads = 15000"), Some(15_000));
    assert_eq!(cap("monthly_post_reads = 0"), None, "0 is no cap");
    // $50 at $0.005 a read buys 10,000 reads.
    assert_eq!(
        cap("monthly_post_reads = 15000\nmonthly_usd = 50.0"),
        Some(10_000)
    );
    assert_eq!(
        cap("monthly_post_reads = 0\nmonthly_usd = 50.0"),
        Some(10_000)
    );
    assert_eq!(
        cap("monthly_post_reads = 5000\nmonthly_usd = 50.0"),
        Some(5_000)
    );
}

#[test]
fn the_shortest_poll_interval_is_derived_unless_set() {
    let c = parse(&with_monitor("min_interval_secs = 30")).unwrap();
    assert_eq!(c.monitor.min_interval, Some(Duration::from_secs(30)));
    let rendered = parse(MINIMAL).unwrap().render_effective_with_env(&no_env);
    assert!(
        rendered.contains("# min_interval_secs not set: derived from X's rate limits"),
        "{rendered}"
    );
    let back = parse(&rendered).unwrap();
    assert_eq!(back.monitor.min_interval, None, "it round-trips");
}
