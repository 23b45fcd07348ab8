//! `[[teams]]`: loading, rendering, and every bad value named by its key
//! (`teams[1].emails[1]`) and line.

use std::path::Path;

use super::*;

/// MINIMAL (6 lines) and two teams: headers at lines 8 and 14.
const TWO_TEAMS: &str = r#"
[[teams]]
name = "Streets team"
emails = ["streets@croydon.gov.uk"]
members = ["sam", "priya"]
teams_webhook_env = "STREETS_TEAMS_URL"

[[teams]]
name = "CleanCo street cleansing"
emails = ["reports@cleanco.example", "out-of-hours@cleanco.example"]
"#;

fn two_teams() -> String {
    format!("{MINIMAL}{TWO_TEAMS}")
}

fn two_teams_with(from: &str, to: &str) -> String {
    let src = two_teams();
    assert!(src.contains(from), "{from}");
    src.replacen(from, to, 1)
}

#[test]
fn teams_load_in_order_with_addresses_members_and_webhook_names() {
    assert!(parse(MINIMAL).unwrap().teams.is_empty(), "none by default");
    let c = parse(&two_teams()).unwrap();
    let streets = &c.teams[0];
    assert_eq!(streets.name, "Streets team");
    assert_eq!(streets.emails[0].to_string(), "streets@croydon.gov.uk");
    assert_eq!(streets.members, ["sam", "priya"]);
    assert_eq!(
        streets.teams_webhook_env.as_deref(),
        Some("STREETS_TEAMS_URL")
    );
    assert_eq!(streets.slack_webhook_env, None);
    let cleanco = &c.teams[1];
    assert_eq!(cleanco.name, "CleanCo street cleansing");
    assert_eq!(cleanco.emails.len(), 2);
    assert!(cleanco.members.is_empty(), "a contractor has no members");
}

#[test]
fn teams_are_rendered_with_webhook_variables_masked_and_load_back() {
    let c = parse(&two_teams()).unwrap();
    let env = |name: &str| (name == "STREETS_TEAMS_URL").then(|| "https://secret.example".into());
    let rendered = c.render_effective_with_env(&env);
    assert!(!rendered.contains("secret.example"), "{rendered}");
    assert!(
        rendered.contains(
            "\n[[teams]]\nname = \"Streets team\"\nemails = [\"streets@croydon.gov.uk\"]\n\
             members = [\"sam\", \"priya\"]\nteams_webhook_env = \"STREETS_TEAMS_URL\"  # set\n"
        ),
        "{rendered}"
    );
    assert!(rendered.contains("members = []\n# no members: an outside contact"));
    assert_eq!(parse(&rendered).unwrap().teams, c.teams);
    let none = parse(MINIMAL).unwrap().render_effective_with_env(&no_env);
    assert!(none.contains("# [[teams]]: none"), "{none}");
}

#[test]
fn names_are_non_blank_short_and_unique_ignoring_case() {
    let e = err(&two_teams_with("CleanCo street cleansing", "STREETS TEAM"));
    assert_eq!(
        e,
        "config/placewatch.toml:15: teams[1].name: \"STREETS TEAM\" is also the name of \
         teams[0] (names are compared ignoring case) (in the [[teams]] table at line 14)"
    );
    let e = err(&two_teams_with("\"Streets team\"", "\"  \""));
    assert!(
        e.starts_with("config/placewatch.toml:9: teams[0].name: must not be blank"),
        "{e}"
    );
    let long = format!("\"{}\"", "x".repeat(61));
    let e = err(&two_teams_with("\"Streets team\"", &long));
    assert!(
        e.starts_with("config/placewatch.toml:9: teams[0].name: must be at most 60 characters"),
        "{e}"
    );
}

#[test]
fn every_team_has_one_or_more_valid_addresses() {
    let e = err(&two_teams_with("[\"streets@croydon.gov.uk\"]", "[]"));
    assert!(
        e.starts_with("config/placewatch.toml:10: teams[0].emails: list at least one address"),
        "{e}"
    );
    let e = err(&two_teams_with(
        "\"out-of-hours@cleanco.example\"",
        "\"out of hours\"",
    ));
    assert!(
        e.starts_with(
            "config/placewatch.toml:16: teams[1].emails[1]: \"out of hours\" is not an email address"
        ),
        "{e}"
    );
    assert!(e.ends_with("(in the [[teams]] table at line 14)"), "{e}");
    let e = err(&two_teams_with(
        "\"out-of-hours@cleanco.example\"",
        "\"CleanCo <reports@cleanco.example>\"",
    ));
    assert!(
        e.contains("teams[1].emails[1]: write the address alone"),
        "{e}"
    );
    let e = err(&two_teams_with(
        "\"out-of-hours@cleanco.example\"",
        "\"reports@cleanco.example\"",
    ));
    assert!(
        e.contains("teams[1].emails[1]: \"reports@cleanco.example\" is listed twice"),
        "{e}"
    );
    let e = err(&two_teams_with(
        "emails = [\"reports@cleanco.example\", \"out-of-hours@cleanco.example\"]\n",
        "",
    ));
    assert!(
        e.contains("teams[1].emails: missing required key `emails` in this [[teams]] table"),
        "{e}"
    );
    assert!(e.starts_with("config/placewatch.toml:14"), "{e}");
}

#[test]
fn members_are_usernames_listed_once() {
    let e = err(&two_teams_with("\"sam\", \"priya\"", "\"Sam Patel\""));
    assert!(
        e.starts_with(
            "config/placewatch.toml:11: teams[0].members[0]: \"Sam Patel\" is not a username"
        ),
        "{e}"
    );
    let e = err(&two_teams_with("\"sam\", \"priya\"", "\"sam\", \"sam\""));
    assert!(
        e.starts_with("config/placewatch.toml:11: teams[0].members[1]: \"sam\" is listed twice"),
        "{e}"
    );
    let e = err(&two_teams_with("members =", "member ="));
    assert!(
        e.starts_with("config/placewatch.toml:11:1: teams[0].member: unknown key"),
        "{e}"
    );
}

#[test]
fn webhook_variables_are_names_that_no_other_key_uses() {
    let e = err(&two_teams_with(
        "\"STREETS_TEAMS_URL\"",
        "\"https://example.webhook.office.com/abc\"",
    ));
    assert!(
        e.starts_with("config/placewatch.toml:12: teams[0].teams_webhook_env: must be the NAME"),
        "{e}"
    );
    assert!(!e.contains("webhook.office.com"), "never echoed: {e}");
    let e = err(&two_teams_with(
        "teams_webhook_env = \"STREETS_TEAMS_URL\"",
        "slack_webhook_env = \"PLACEWATCH_BEARER_TOKEN\"",
    ));
    assert!(
        e.starts_with(
            "config/placewatch.toml:12: teams[0].slack_webhook_env: names the same variable as \
             x.bearer_token_env"
        ),
        "{e}"
    );
    let e = err(&format!(
        "{}teams_webhook_env = \"STREETS_TEAMS_URL\"\n",
        two_teams()
    ));
    assert!(
        e.starts_with(
            "config/placewatch.toml:17: teams[1].teams_webhook_env: names the same variable as \
             teams[0].teams_webhook_env"
        ),
        "{e}"
    );
}

#[test]
fn teams_are_an_array_of_tables_the_environment_cannot_override() {
    let e = err(&format!("{MINIMAL}\n[teams]\nname = \"Streets team\"\n"));
    assert!(e.contains("teams: must be an array of tables"), "{e}");
    let vars = [("PLACEWATCH__TEAMS__0__NAME".to_string(), "x".to_string())];
    let e = Config::from_str_with_vars(&two_teams(), Path::new(PATH), vars)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("environment variable PLACEWATCH__TEAMS__0__NAME: teams.0.name: [[teams]] is an array of tables"),
        "{e}"
    );
}
