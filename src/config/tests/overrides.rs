//! `PLACEWATCH__SECTION__KEY` overrides.

use std::collections::BTreeSet;
use std::path::Path;

use super::*;
use crate::config::env::KNOWN;

#[test]
fn env_overrides_apply_and_parse_as_toml() {
    let c = parse_env(
        MINIMAL,
        &[
            ("PLACEWATCH__X__API_BASE", "http://127.0.0.1:9000"),
            ("PLACEWATCH__X__CLIENT_ID", "12345"),
            ("PLACEWATCH__MONITOR__LANGUAGES", r#"["en", "cy"]"#),
            ("PLACEWATCH__MONITOR__BACKFILL_DAYS", "3"),
            ("PLACEWATCH__SIM__RATE_PER_MIN", "0.5"),
            ("PLACEWATCH__COUNCIL__NAME", "\"London Borough of Croydon\""),
        ],
    )
    .unwrap();
    assert_eq!(c.x.api_base.as_str(), "http://127.0.0.1:9000/");
    assert_eq!(c.x.client_id, "12345");
    assert_eq!(c.monitor.languages, ["en", "cy"]);
    assert_eq!(c.monitor.backfill_days, 3);
    assert_eq!(c.sim.rate_per_min, 0.5);
    assert_eq!(c.council.name, "London Borough of Croydon");
}

#[test]
fn env_override_errors_name_the_variable() {
    let e = env_err(MINIMAL, &[("PLACEWATCH__MONITOR__BACKFILL_DAYS", "30")]);
    assert_eq!(
        e,
        "environment variable PLACEWATCH__MONITOR__BACKFILL_DAYS: monitor.backfill_days: \
         must be between 1 and 7, got 30"
    );
    let e = env_err(MINIMAL, &[("PLACEWATCH__MONITOR__BACKFILL_DAYS", "soon")]);
    assert!(e.contains("PLACEWATCH__MONITOR__BACKFILL_DAYS: monitor.backfill_days: invalid type"));
    let e = env_err(MINIMAL, &[("PLACEWATCH__MONITOR__PLACES", "Croydon")]);
    assert!(e.contains("write a TOML array"), "{e}");
    let e = env_err(MINIMAL, &[("PLACEWATCH__X__API_BASE", "http://api.x.com")]);
    assert!(e.starts_with("environment variable PLACEWATCH__X__API_BASE: x.api_base: plain http"));
}

#[test]
fn unknown_overrides_are_errors_naming_the_variable() {
    let vars = |name: &str| {
        let list = [
            ("PATH".to_string(), "/bin".to_string()),
            ("PLACEWATCH_CLIENT_SECRET".to_string(), "x".to_string()),
            (name.to_string(), "1".to_string()),
        ];
        Config::from_str_with_vars(MINIMAL, Path::new(PATH), list)
    };
    let e = vars("PLACEWATCH__X__API_BSAE").unwrap_err().to_string();
    assert!(
        e.starts_with(
            "environment variable PLACEWATCH__X__API_BSAE: x.api_bsae: unknown key `api_bsae` in [x]"
        ),
        "{e}"
    );
    let e = vars("PLACEWATCH__FOO__BAR").unwrap_err().to_string();
    assert!(
        e.contains("PLACEWATCH__FOO__BAR: foo.bar: unknown section `foo`"),
        "{e}"
    );
    let e = vars("PLACEWATCH__X").unwrap_err().to_string();
    assert!(e.contains("expected PLACEWATCH__SECTION__KEY"), "{e}");
    let e = vars("placewatch__sim__seed").unwrap_err().to_string();
    assert!(e.contains("PLACEWATCH__SIM__SEED"), "{e}");
    let e = vars("PLACEWATCH__X__CLIENT_SECRET")
        .unwrap_err()
        .to_string();
    assert!(e.contains("secrets are not config keys"), "{e}");
    assert_eq!(vars("PLACEWATCH__SIM__SEED").unwrap().sim.seed, 1);
}

#[test]
fn overrides_can_fill_in_a_missing_table() {
    let c = parse_env(MINIMAL, &[("PLACEWATCH__SIM__SEED", "7")]).unwrap();
    assert_eq!(c.sim.seed, 7);
    let e = env_err(MINIMAL, &[("PLACEWATCH__SIM__SEED", "many")]);
    assert!(
        e.starts_with("environment variable PLACEWATCH__SIM__SEED: sim.seed: invalid type"),
        "{e}"
    );
    let src = "[monitor]\nplaces = [\"Croydon\"]\n";
    let e = env_err(src, &[("PLACEWATCH__COUNCIL__NAME", "Croydon")]);
    assert_eq!(
        e,
        "environment variable PLACEWATCH__COUNCIL__NAME: council.handle: \
         missing required key `handle` in [council]"
    );
}

#[test]
fn known_keys_match_the_schema() {
    // Every key set, the optional ones included.
    let holidays = Path::new(env!("CARGO_MANIFEST_DIR")).join("calendar/uk-bank-holidays.json");
    let rendered = parse(&with_monitor(&format!(
        "min_interval_secs = 60\n[mail]\nsmtp_host = \"smtp.office365.com\"\n\
         username = \"desk@croydon.gov.uk\"\nfrom = \"desk@croydon.gov.uk\"\n\
         ca_file = \"/etc/placewatch/ca.pem\"\nauth = \"xoauth2\"\n\
         oauth_token_url = \"https://login.microsoftonline.com/t/oauth2/v2.0/token\"\n\
         oauth_client_id = \"app\"\noauth_scope = \"https://outlook.office365.com/.default\"\n\
         oauth_refresh_token_env = \"PLACEWATCH_SMTP_REFRESH_TOKEN\"\n\
         [desk]\nmonitoring_token_env = \"PLACEWATCH_MONITORING_TOKEN\"\n\
         public_url = \"https://desk.croydon.gov.uk/\"\n\
         tls_cert_file = \"desk.crt\"\ntls_key_file = \"desk.key\"\n\
         [store]\nurl = \"postgres://desk@db.internal/placewatch?sslmode=verify-full\"\n\
         password_env = \"PLACEWATCH_PG_PASSWORD\"\nlease_secs = 10\n\
         [office_hours]\nbank_holidays_file = {:?}",
        holidays.display().to_string()
    )))
    .unwrap()
    .render_effective_with_env(&no_env);
    let table: toml::Table = rendered.parse().unwrap();
    let from_schema: BTreeSet<String> = table
        .iter()
        .flat_map(|(s, t)| {
            t.as_table()
                .unwrap()
                .keys()
                .map(move |k| format!("{s}.{k}"))
        })
        .collect();
    let known: BTreeSet<String> = KNOWN
        .iter()
        .flat_map(|(s, keys)| keys.iter().map(move |(k, _)| format!("{s}.{k}")))
        .collect();
    assert_eq!(from_schema, known);
}
