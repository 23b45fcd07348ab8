//! Every error class names the file, the key and the line.

use super::*;

#[test]
fn syntax_error_names_file_line_and_key() {
    let e = err("[council]\nname = \"Croydon\nhandle = \"x\"\n");
    assert!(e.starts_with("config/placewatch.toml:2:"), "{e}");
    assert!(e.contains("council.name: "), "{e}");
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let src = MINIMAL.replace("places =", "placez = [\"x\"]\nplaces =");
    assert_eq!(
        err(&src),
        "config/placewatch.toml:6:1: monitor.placez: unknown key (expected one of: \
         places, exclusions, languages, backfill_days, min_interval_secs, max_interval_secs)"
    );
    let e = err(&with_monitor("[monitr]\nplaces = []"));
    assert!(
        e.starts_with("config/placewatch.toml:7:2: monitr: unknown key"),
        "{e}"
    );
}

#[test]
fn a_secret_in_the_file_is_refused_without_echoing_it() {
    let e = err(&with_monitor("[x]\nclient_secret = \"s3cr3t-value\""));
    assert!(
        e.starts_with("config/placewatch.toml:8:1: x.client_secret: unknown key"),
        "{e}"
    );
    assert!(e.contains("secrets are not config keys"), "{e}");
    assert!(!e.contains("s3cr3t-value"));
    let e = err(&with_monitor("[x]\nclient_secret_env = \"s3cr3t-value\""));
    assert!(e.starts_with("config/placewatch.toml:8: x.client_secret_env: must be the NAME"));
    assert!(!e.contains("s3cr3t-value"), "{e}");
}

#[test]
fn wrong_type_names_the_element() {
    let src = MINIMAL.replace("\"East Croydon\"]", "\n  \"East Croydon\",\n  3,\n]");
    assert_eq!(
        err(&src),
        "config/placewatch.toml:8:3: monitor.places[2]: invalid type: integer `3`, expected a string"
    );
    let e = err(&with_monitor("[x]\naccess = \"pro\""));
    assert!(
        e.starts_with("config/placewatch.toml:8:10: x.access: unknown variant `pro`"),
        "{e}"
    );
}

#[test]
fn missing_required_key_names_its_table_line() {
    let src =
        "# header\n\n[council]\nname = \"Croydon Council\"\n\n[monitor]\nplaces = [\"Croydon\"]\n";
    assert_eq!(
        err(src),
        "config/placewatch.toml:3:1: council.handle: missing required key `handle` in [council]"
    );
    let src = MINIMAL.replace("places = [\"Croydon\", \"East Croydon\"]", "languages = []");
    let e = err(&src);
    assert!(
        e.starts_with("config/placewatch.toml:5:1: monitor.places: missing required"),
        "{e}"
    );
    let e = err("[monitor]\nplaces = [\"Croydon\"]\n");
    assert_eq!(
        e,
        "config/placewatch.toml: council: missing required table [council]"
    );
}

#[test]
fn bad_handle_is_invalid_with_a_hint() {
    let e = err(&MINIMAL.replace("\"yourcroydon\"", "\"@yourcroydon\""));
    assert_eq!(
        e,
        "config/placewatch.toml:3: council.handle: write the username without the leading @: \
         handle = \"yourcroydon\""
    );
    let e = err(&MINIMAL.replace("\"yourcroydon\"", "\"your croydon council\""));
    assert!(e.contains("council.handle: must be an X username"), "{e}");
}

#[test]
fn duplicate_place_names_the_element_and_its_line() {
    let src = MINIMAL.replace(
        "places = [\"Croydon\", \"East Croydon\"]",
        "places = [\n    \"Croydon\",\n    \"Purley\",\n    \"Selhurst\",\n    \"croydon \",\n]",
    );
    assert_eq!(
        err(&src),
        "config/placewatch.toml:10: monitor.places[3]: duplicate of monitor.places[0] \
         (\"Croydon\"); names are compared ignoring case"
    );
}

#[test]
fn bad_place_names_are_rejected() {
    let e = err(&with_monitor("exclusions = [\"-Croydon Park\"]"));
    assert!(
        e.starts_with("config/placewatch.toml:7: monitor.exclusions[0]: must not start"),
        "{e}"
    );
    let e = err(&with_monitor("exclusions = [\"east croydon\"]"));
    assert!(e.contains("is also monitor.places[1]"), "{e}");
    let e = err(&MINIMAL.replace("[\"Croydon\", \"East Croydon\"]", "[]"));
    assert!(e.contains(":6: monitor.places: list at least one"), "{e}");
    let e = err(&with_monitor("languages = [\"EN\"]"));
    assert!(
        e.contains(":7: monitor.languages[0]: \"EN\" is not a language code"),
        "{e}"
    );
    assert!(parse(&with_monitor("languages = [\"en-GB\", \"cy\"]")).is_ok());
}

#[test]
fn interval_bounds_blame_the_key_that_was_written() {
    let e = err(&with_monitor("min_interval_secs = 1000"));
    assert_eq!(
        e,
        "config/placewatch.toml:7: monitor.min_interval_secs: min_interval_secs (1000) \
         must not exceed max_interval_secs (900)"
    );
    let e = err(&with_monitor(
        "min_interval_secs = 60\nmax_interval_secs = 30",
    ));
    assert!(
        e.starts_with("config/placewatch.toml:7: monitor.min_interval_secs: "),
        "{e}"
    );
    // Without a minimum, the derived one is capped by the maximum instead.
    assert!(parse(&with_monitor("max_interval_secs = 3")).is_ok());
    let e = err(&with_monitor("min_interval_secs = 0"));
    assert!(
        e.ends_with("monitor.min_interval_secs: must be at least 1, got 0"),
        "{e}"
    );
}

#[test]
fn defaulted_key_errors_point_at_the_table() {
    // bearer_token_env is left to its default, so its table's line is named.
    let e = err(&with_monitor(
        "[x]\nclient_secret_env = \"PLACEWATCH_BEARER_TOKEN\"",
    ));
    assert_eq!(
        e,
        "config/placewatch.toml:7: x.bearer_token_env: names the same variable as x.client_secret_env"
    );
}

#[test]
fn urls_allow_http_only_on_loopback() {
    let base = |url: &str| parse(&format!("{MINIMAL}[x]\napi_base = \"{url}\"\n"));
    assert_eq!(
        base("https://api.x.com").unwrap().x.api_base.as_str(),
        "https://api.x.com/"
    );
    for ok in [
        "http://127.0.0.1:9000",
        "http://127.9.9.9",
        "http://localhost:1",
        "http://[::1]:8",
    ] {
        assert!(base(ok).is_ok(), "{ok}");
    }
    let prefixed = base("http://127.0.0.1:9000/sim").unwrap();
    assert_eq!(
        prefixed.x.api_base.join("2/tweets").unwrap().path(),
        "/sim/2/tweets"
    );
    let e = base("http://api.x.com").unwrap_err().to_string();
    assert!(
        e.starts_with("config/placewatch.toml:8: x.api_base: plain http is only allowed"),
        "{e}"
    );
    assert!(
        base("ftp://127.0.0.1")
            .unwrap_err()
            .to_string()
            .contains("http or https")
    );
    let e = base("https://user:hunter2@api.x.com")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("username or password") && !e.contains("hunter2"),
        "{e}"
    );
    let redirect = |url: &str| parse(&format!("{MINIMAL}[x]\nredirect_uri = \"{url}\"\n"));
    assert!(
        redirect("https://example.org/cb")
            .unwrap_err()
            .to_string()
            .contains("loopback")
    );
}

#[test]
fn validate_place_name_simple_checks() {
    assert!(validate_place_name("Cherry Orchard Road").is_ok());
    for bad in [
        "",
        "   ",
        "\"Croydon\"",
        "Croydon (Vic)",
        "-Croydon",
        &"a".repeat(129),
    ] {
        assert!(validate_place_name(bad).is_err(), "{bad:?}");
    }
    assert!(validate_place_name(&"é".repeat(128)).is_ok());
}

#[test]
fn duplicate_keys_and_tables_are_named() {
    let e = err(&MINIMAL.replace("handle = \"yourcroydon\"", "handle = \"a\"\nname = \"b\""));
    assert_eq!(e, "config/placewatch.toml:4:1: council.name: duplicate key");
    let e = err(&with_monitor("[monitor]"));
    assert!(
        e.starts_with("config/placewatch.toml:7:2: monitor: duplicate key"),
        "{e}"
    );
}

#[test]
fn sections_must_be_tables() {
    let e = err(&with_monitor("[[sim]]\nseed = 1"));
    assert!(
        e.starts_with(
            "config/placewatch.toml:7:1: sim: must be a table [sim], not an array of tables"
        ),
        "{e}"
    );
    // serde alone would read this by position as seed, rate_per_min, backlog_days.
    let e = err(&format!("sim = [7, 2.0, 1]\n{MINIMAL}"));
    assert_eq!(
        e,
        "config/placewatch.toml:1:7: sim: must be a table [sim], not an array"
    );
}

#[test]
fn type_errors_speak_toml() {
    let e = err(&with_monitor("backfill_days = 1.5"));
    assert!(
        e.ends_with("invalid type: floating point `1.5`, expected an integer"),
        "{e}"
    );
    let e = err(&with_monitor("exclusions = { a = 1 }"));
    assert!(e.contains("invalid type: table, expected an array"), "{e}");
    let e = err(&format!("x = 3\n{MINIMAL}"));
    assert_eq!(
        e,
        "config/placewatch.toml:1:5: x: must be a table [x], not a single value"
    );
}

#[test]
fn a_trusted_proxy_that_is_not_an_address_names_the_key_and_line() {
    let e = err(&with_monitor(
        "[desk]\ntrusted_proxies = [\"10.0.0.5\", \"proxy.internal\"]",
    ));
    assert!(e.starts_with("config/placewatch.toml:8"), "{e}");
    assert!(
        e.contains("desk.trusted_proxies: \"proxy.internal\" is not an IP address"),
        "{e}"
    );
    let c = parse(&with_monitor(
        "[desk]\ntrusted_proxies = [\"10.0.0.5\", \"::1\"]",
    ))
    .unwrap();
    assert_eq!(c.desk.trusted_proxies.len(), 2);
    assert!(!c.desk.allow_self_approval, "off by default");
}

#[test]
fn the_monitoring_address_defaults_to_loopback_and_a_bad_one_names_the_key_and_line() {
    let c = parse(&with_monitor("")).unwrap();
    assert_eq!(
        c.desk.monitoring_listen,
        Some("127.0.0.1:9464".parse().unwrap())
    );
    assert_eq!(c.desk.monitoring_token_env, None);
    let off = parse(&with_monitor("[desk]\nmonitoring_listen = \"\"")).unwrap();
    assert_eq!(off.desk.monitoring_listen, None);
    let e = err(&with_monitor("[desk]\nmonitoring_listen = \"localhost\""));
    assert!(e.starts_with("config/placewatch.toml:8"), "{e}");
    assert!(
        e.contains("desk.monitoring_listen: \"localhost\" is not an address and port"),
        "{e}"
    );
}

#[test]
fn the_desks_own_https_needs_both_files_and_its_public_address() {
    let ok = parse(&with_monitor(
        "[desk]\npublic_url = \"https://desk.croydon.gov.uk/\"\n\
         tls_cert_file = \"/etc/placewatch/desk.crt\"\ntls_key_file = \"desk.key\"",
    ))
    .unwrap();
    let tls = ok.desk.tls.unwrap();
    assert_eq!(
        tls.cert_file,
        std::path::Path::new("/etc/placewatch/desk.crt")
    );
    assert!(tls.key_file.is_absolute(), "relative to the config file");
    let e = err(&with_monitor(
        "[desk]\ntls_cert_file = \"/etc/placewatch/desk.crt\"",
    ));
    assert!(
        e.contains("desk.tls_cert_file: needs desk.tls_key_file beside it"),
        "{e}"
    );
    let e = err(&with_monitor(
        "[desk]\ntls_cert_file = \"desk.crt\"\ntls_key_file = \"desk.key\"",
    ));
    assert!(
        e.contains("desk.tls_cert_file: needs desk.public_url"),
        "{e}"
    );
}

#[test]
fn waiting_targets_default_per_priority_and_a_bad_one_names_its_key() {
    use crate::domain::triage::{Priority, WaitingTargets};
    let c = parse(&with_monitor("[desk]\nwaiting_target_high_minutes = 90")).unwrap();
    let targets = c.desk.waiting_targets;
    assert_eq!(targets.target(Priority::High).as_secs(), 90 * 60);
    assert_eq!(
        targets.target(Priority::Normal),
        WaitingTargets::default().normal,
        "the others keep their defaults"
    );
    let e = err(&with_monitor("[desk]\nwaiting_target_urgent_minutes = 0"));
    assert!(e.starts_with("config/placewatch.toml:8"), "{e}");
    assert!(e.contains("desk.waiting_target_urgent_minutes"), "{e}");
}
