//! `[alerts]`: defaults, the team it names, and bad values named by key and line.

use super::*;

const TEAM: &str = r#"
[[teams]]
name = "Comms"
emails = ["comms@croydon.gov.uk"]
slack_webhook_env = "COMMS_SLACK_URL"

[[teams]]
name = "Quiet"
emails = ["quiet@croydon.gov.uk"]
"#;

#[test]
fn alerts_default_to_three_times_ten_posts_over_four_weeks_banner_only() {
    let a = parse(MINIMAL).unwrap().alerts;
    assert_eq!(a.rule, crate::domain::spike::SpikeRule::default());
    assert_eq!(a.team, None);
    assert_eq!(a.check_interval, std::time::Duration::from_secs(60));
}

#[test]
fn alerts_name_a_team_with_a_channel_and_load_back() {
    let src = format!(
        "{MINIMAL}{TEAM}\n[alerts]\nspike_factor = 2.5\nspike_min_posts = 4\n\
         baseline_weeks = 2\nteam = \"comms\"\ncheck_interval_secs = 5\n"
    );
    let c = parse(&src).unwrap();
    assert_eq!(c.alerts.rule.factor, 2.5);
    assert_eq!(c.alerts.rule.min_posts, 4);
    assert_eq!(c.alerts.rule.baseline_weeks, 2);
    assert_eq!(
        c.alerts.team.as_deref(),
        Some("Comms"),
        "as the team spells it"
    );
    let rendered = c.render_effective_with_env(&|_| None);
    assert!(
        rendered.contains("[alerts]\nspike_factor = 2.5\n"),
        "{rendered}"
    );
    assert_eq!(parse(&rendered).unwrap().alerts, c.alerts);
}

#[test]
fn bad_alert_settings_are_named_by_key_and_line() {
    let cases = [
        (
            "spike_factor = 0.5",
            "alerts.spike_factor",
            "between 1 and 1000",
        ),
        (
            "spike_min_posts = 0",
            "alerts.spike_min_posts",
            "between 1 and",
        ),
        (
            "baseline_weeks = 53",
            "alerts.baseline_weeks",
            "between 1 and 52",
        ),
        (
            "team = \"Roads\"",
            "alerts.team",
            "not the name of a [[teams]] entry",
        ),
        ("team = \"Quiet\"", "alerts.team", "has no channel"),
    ];
    for (line, key, says) in cases {
        let src = format!("{MINIMAL}{TEAM}\n[alerts]\n{line}\n");
        let at = src.lines().position(|l| l == line).unwrap() + 1;
        let e = parse(&src).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("config/placewatch.toml:{at}: {key}: ")),
            "{line}: {e}"
        );
        assert!(e.contains(says), "{line}: {e}");
    }
}
