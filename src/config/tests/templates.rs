//! `[templates]`: loading, every error naming file, key and line, the
//! environment refusing overrides, and rendering.

use std::path::Path;

use super::*;
use crate::domain::text::{RenderContext, ReplyPrices};

/// MINIMAL (6 lines), then vars at line 8 and two templates: headers at
/// lines 11 and 17, their texts at lines 13 and 19.
const TWO_TEMPLATES: &str = r#"
[templates.vars]
service_url = "https://www.croydon.gov.uk/report"

[[templates.reply]]
name = "street-cleansing"
text = "Thanks {author}, passed to street cleansing: {service_url}"
tags = ["waste", "litter"]
welsh = "Diolch {author}: {service_url}"

[[templates.reply]]
name = "passed-on"
text = "Thanks {author}, we've passed this on. – {officer}"
requires_approval = true
"#;

fn two_templates() -> String {
    format!("{MINIMAL}{TWO_TEMPLATES}")
}

fn reference() -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/placewatch.toml");
    let source = std::fs::read_to_string(&path).unwrap();
    Config::from_str_with_env(&source, &path, &no_env).unwrap()
}

// ------------------------------------------------------------ loading

#[test]
fn templates_load_in_file_order_with_their_vars() {
    let c = parse(&two_templates()).unwrap();
    let t = &c.templates;
    assert_eq!(t.names(), ["street-cleansing", "passed-on"]);
    assert_eq!(
        t.vars.get("service_url").map(String::as_str),
        Some("https://www.croydon.gov.uk/report")
    );
    let sc = &t.list[0];
    assert_eq!(sc.tags(), ["waste", "litter"]);
    assert_eq!(sc.welsh(), Some("Diolch {author}: {service_url}"));
    assert!(!sc.requires_approval());
    assert!(t.list[1].requires_approval());
    assert_eq!(t.list[1].tags(), [] as [String; 0]);

    let ctx = RenderContext {
        author: "ada_r".into(),
        vars: t.vars.clone(),
        ..RenderContext::default()
    };
    assert_eq!(
        sc.render(&ctx, false),
        "Thanks @ada_r, passed to street cleansing: https://www.croydon.gov.uk/report"
    );
    assert_eq!(
        sc.render(&ctx, true),
        "Diolch @ada_r: https://www.croydon.gov.uk/report"
    );
}

#[test]
fn no_templates_section_means_none() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(c.templates, Templates::default());
    assert!(
        c.render_effective_with_env(&no_env)
            .ends_with("\n# [templates]: none\n")
    );
    let c = parse(&with_monitor("[templates]")).unwrap();
    assert!(c.templates.list.is_empty());
}

#[test]
fn templates_are_found_by_name_ignoring_case_and_by_tag() {
    let c = parse(&two_templates()).unwrap();
    let t = &c.templates;
    assert_eq!(
        t.get("Street-Cleansing").unwrap().name(),
        "street-cleansing"
    );
    assert!(t.get("street cleansing").is_none());
    let suited: Vec<&str> = t
        .suited_to(&["LITTER".to_string()])
        .iter()
        .map(|t| t.name())
        .collect();
    assert_eq!(suited, ["street-cleansing"]);
    assert!(t.suited_to(&[]).is_empty());
}

#[test]
fn the_reference_file_has_croydon_templates() {
    let c = reference();
    let t = &c.templates;
    assert_eq!(
        t.names(),
        [
            "street-cleansing",
            "missed-bin",
            "pothole",
            "lost-property",
            "passed-on",
            "referred",
            "abusive-neutral"
        ]
    );
    assert!(t.get("street-cleansing").unwrap().welsh().is_some());
    assert!(t.get("abusive-neutral").unwrap().requires_approval());
    assert!(t.vars.contains_key("service_url"));
    assert!(t.vars.contains_key("tfl_lost_property_url"));
    // Every one renders within X's limit for a long place name and handle.
    let ctx = RenderContext {
        author: "a_fifteen_chars".into(),
        author_name: "A display name of some length, say forty".into(),
        place: "Cherry Orchard Road".into(),
        officer: "Priya".into(),
        council: c.council.handle.clone(),
        reference: "PW-000123".into(),
        team: "CleanCo street cleansing".into(),
        vars: t.vars.clone(),
    };
    for template in &t.list {
        for welsh in [false, true] {
            let text = template.render(&ctx, welsh);
            let reply = crate::domain::text::ReplyText::parse(text.as_str());
            assert!(reply.is_ok(), "{}: {text}: {reply:?}", template.name());
            assert!(template.missing_values(&ctx, welsh).is_empty());
        }
    }
}

#[test]
fn budget_prices_feed_reply_costs() {
    assert_eq!(
        parse(MINIMAL).unwrap().budget.reply_prices(),
        ReplyPrices::default()
    );
    let c = parse(&with_monitor("[budget]\npost_create_with_url_usd = 0.5")).unwrap();
    assert_eq!(c.budget.reply_prices().post_create_with_url_usd, 0.5);
}

// ------------------------------------------------------------ errors

#[test]
fn an_unknown_placeholder_names_the_template_key_and_line() {
    let src = two_templates().replace("{officer}", "{oficer}");
    assert_eq!(
        err(&src),
        "config/placewatch.toml:19: templates.reply[1].text: template \"passed-on\": \
         unknown placeholder {oficer} at character 42 (did you mean {officer}?); \
         placeholders: {author}, {author_name}, {place}, {officer}, {council}, \
         {reference}, {team}, {service_url} (in the [[templates.reply]] table at line 17)"
    );
    // A variable that is not in [templates.vars] is unknown too.
    let src = two_templates().replace("Diolch {author}: {service_url}", "Diolch {url}");
    let e = err(&src);
    assert!(
        e.starts_with(
            "config/placewatch.toml:15: templates.reply[0].welsh: template \
             \"street-cleansing\": in the Welsh text, unknown placeholder {url} at character 8"
        ),
        "{e}"
    );
}

#[test]
fn stray_braces_and_empty_texts_are_named() {
    let e = err(&two_templates().replace("{service_url}\"\ntags", "{service_url\"\ntags"));
    assert!(
        e.starts_with(
            "config/placewatch.toml:13: templates.reply[0].text: template \"street-cleansing\": \
             unclosed `{` at character 46"
        ),
        "{e}"
    );
    let e = err(&two_templates().replace("passed this on.", "passed } on."));
    assert!(
        e.contains(
            "templates.reply[1].text: template \"passed-on\": `}` at character 31 closes nothing"
        ),
        "{e}"
    );
    let e = err(&two_templates().replace(
        "text = \"Thanks {author}, we've passed this on. – {officer}\"",
        "text = \"  \"",
    ));
    assert_eq!(
        e,
        "config/placewatch.toml:19: templates.reply[1].text: template \"passed-on\": the text \
         is empty (in the [[templates.reply]] table at line 17)"
    );
    let e = err(&two_templates().replace("Diolch {author}: {service_url}", ""));
    assert!(
        e.contains(":15: templates.reply[0].welsh: template \"street-cleansing\": the Welsh text is empty; leave out `welsh`"),
        "{e}"
    );
}

#[test]
fn template_names_must_be_unique_and_typeable() {
    let e = err(&two_templates().replace("\"passed-on\"", "\"Street-Cleansing\""));
    assert_eq!(
        e,
        "config/placewatch.toml:18: templates.reply[1].name: \"Street-Cleansing\" is already \
         the name of templates.reply[0]; template names must be unique (ignoring case) \
         (in the [[templates.reply]] table at line 17)"
    );
    let e = err(&two_templates().replace("\"passed-on\"", "\"passed on\""));
    assert!(
        e.contains("templates.reply[1].name: \"passed on\" is not a template name"),
        "{e}"
    );
    let e = err(&two_templates().replace("\"passed-on\"", "\" \""));
    assert!(
        e.contains("templates.reply[1].name: must not be empty"),
        "{e}"
    );
}

#[test]
fn vars_must_be_simple_names_with_values() {
    let var = |line: &str| err(&two_templates().replace("service_url = ", line));
    let e = var("Service-URL = ");
    assert!(
        e.starts_with(
            "config/placewatch.toml:9: templates.vars.Service-URL: \"Service-URL\" is not a \
             variable name"
        ),
        "{e}"
    );
    let e = err(&two_templates().replace(
        "service_url = \"https://www.croydon.gov.uk/report\"",
        "service_url = \"https://www.croydon.gov.uk/report\"\nauthor = \"x\"",
    ));
    assert!(
        e.contains(":10: templates.vars.author: {author} is a built-in placeholder"),
        "{e}"
    );
    let e = err(&two_templates().replace("\"https://www.croydon.gov.uk/report\"", "\" \""));
    assert!(
        e.contains(":9: templates.vars.service_url: must not be empty"),
        "{e}"
    );
    let e = err(&two_templates().replace("\"https://www.croydon.gov.uk/report\"", "3"));
    assert!(
        e.starts_with("config/placewatch.toml:9:15: templates.vars.service_url: invalid type: integer `3`, expected a string"),
        "{e}"
    );
    let e = err(&two_templates().replace("service_url = ", "\"service url\" = "));
    assert!(
        e.contains("templates.vars.\"service url\": \"service url\" is not a variable name"),
        "{e}"
    );
}

#[test]
fn tags_must_not_be_empty_or_repeated() {
    let e = err(&two_templates().replace("[\"waste\", \"litter\"]", "[\"waste\", \" \"]"));
    assert!(
        e.contains(":14: templates.reply[0].tags[1]: must not be empty"),
        "{e}"
    );
    let e = err(&two_templates().replace("[\"waste\", \"litter\"]", "[\"waste\", \"Waste\"]"));
    assert!(
        e.contains("templates.reply[0].tags[1]: \"Waste\" repeats templates.reply[0].tags[0]"),
        "{e}"
    );
}

#[test]
fn a_template_already_over_the_limit_is_refused() {
    let long = "a".repeat(270);
    let src = two_templates().replace("we've passed this on.", &long);
    let e = err(&src);
    assert!(
        e.starts_with(
            "config/placewatch.toml:19: templates.reply[1].text: template \"passed-on\": the \
             text is 282 of 280 weighted characters before its placeholders are filled"
        ),
        "{e}"
    );
    // The variables count: a long URL still counts 23, a long word does not.
    let src = two_templates().replace(
        "\"https://www.croydon.gov.uk/report\"",
        &format!("\"https://www.croydon.gov.uk/{}\"", "x".repeat(300)),
    );
    assert!(parse(&src).is_ok());
    let src = two_templates().replace(
        "\"https://www.croydon.gov.uk/report\"",
        &format!("\"{}\"", "word ".repeat(60)),
    );
    let e = err(&src);
    assert!(
        e.contains(
            "templates.reply[0].text: template \"street-cleansing\": the text is 337 of 280"
        ),
        "{e}"
    );
    let e = err(&two_templates().replace("this on.", "this on.\u{FEFF}"));
    assert!(
        e.contains("templates.reply[1].text: template \"passed-on\": U+FEFF at character 39 is a character X refuses"),
        "{e}"
    );
    let e = err(&two_templates().replace("/report\"", "/report\u{FFFE}\""));
    assert!(
        e.contains(
            ":9: templates.vars.service_url: contains U+FFFE at character 34, which X refuses"
        ),
        "{e}"
    );
}

#[test]
fn unknown_and_missing_keys_are_named_in_their_table() {
    let e = err(&two_templates().replace("welsh = ", "welch = "));
    assert!(
        e.starts_with(
            "config/placewatch.toml:15:1: templates.reply[0].welch: unknown key (expected one \
             of: name, text, tags, welsh, requires_approval) (in the [[templates.reply]] \
             table at line 11)"
        ),
        "{e}"
    );
    let e = err(&two_templates().replace(
        "text = \"Thanks {author}, we've",
        "texts = \"Thanks {author}, we've",
    ));
    assert!(e.contains("templates.reply[1].texts: unknown key"), "{e}");
    let e = err(&with_monitor("[[templates.reply]]\nname = \"a\""));
    assert!(
        e.contains(
            "templates.reply[0].text: missing required key `text` in this [[templates.reply]] table"
        ),
        "{e}"
    );
    let e = err(&with_monitor("[templates]\nreplies = []"));
    assert!(
        e.contains("templates.replies: unknown key (expected one of: vars, reply)"),
        "{e}"
    );
}

#[test]
fn shapes_are_checked_before_serde_reads_by_position() {
    let e = err(&with_monitor(
        "[templates.reply]\nname = \"a\"\ntext = \"b\"",
    ));
    assert!(
        e.starts_with(
            "config/placewatch.toml:7:1: templates.reply: must be an array of tables: write \
             each template under its own [[templates.reply]] header"
        ),
        "{e}"
    );
    let e = err(&with_monitor("[templates]\nreply = [[\"a\", \"b\"]]"));
    assert!(e.contains("templates.reply[0]: must be a table"), "{e}");
    let e = err(&with_monitor("[[templates]]\nvars = {}"));
    assert!(
        e.contains("templates: must be a table [templates], not an array of tables"),
        "{e}"
    );
    let e = err(&with_monitor("[templates]\nvars = [\"a\"]"));
    assert!(e.contains("templates.vars: must be a table"), "{e}");
}

#[test]
fn templates_cannot_be_overridden_from_the_environment() {
    for var in [
        "PLACEWATCH__TEMPLATES__VARS",
        "PLACEWATCH__TEMPLATES__REPLY",
        "PLACEWATCH__TEMPLATES",
    ] {
        let vars = [(var.to_string(), "x".to_string())];
        let e = Config::from_str_with_vars(&two_templates(), Path::new(PATH), vars)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("environment variable {var}: templates")),
            "{e}"
        );
        assert!(
            e.contains("cannot be overridden from the environment"),
            "{e}"
        );
    }
}

// ------------------------------------------------------------ rendering

#[test]
fn render_effective_shows_templates_and_loads_back() {
    let c = reference();
    let rendered = c.render_effective_with_env(&no_env);
    assert!(rendered.contains(
        "\n[templates.vars]\npothole_url = \"https://www.croydon.gov.uk/report-pothole\"\n"
    ));
    assert!(
        rendered
            .contains("\n[[templates.reply]]\nname = \"abusive-neutral\"\ntext = \"Hi {author}, ")
    );
    assert!(rendered.contains("tags = [\"abuse\"]\nrequires_approval = true\n"));
    assert!(rendered.contains("welsh = \"Diolch {author}, "));
    let back = Config::from_str_with_env(&rendered, &c.source, &no_env).unwrap();
    assert_eq!(back.templates, c.templates);

    // Braces, quotes and newlines survive the round trip.
    let src = with_monitor(
        "[[templates.reply]]\nname = \"x\"\ntext = \"\"\"{{literal}} \"quoted\"\nsecond line {place}\"\"\"",
    );
    let c = parse(&src).unwrap();
    let back = parse(&c.render_effective_with_env(&no_env)).unwrap();
    assert_eq!(back.templates, c.templates);
    assert_eq!(
        back.templates.list[0].text(),
        "{{literal}} \"quoted\"\nsecond line {place}"
    );
}
