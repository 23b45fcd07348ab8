use std::collections::BTreeMap;

use super::*;

const VARS: &[&str] = &["service_url", "lost_property_url"];

fn vars() -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "service_url".to_string(),
            "https://www.croydon.gov.uk/report".to_string(),
        ),
        (
            "lost_property_url".to_string(),
            "https://tfl.gov.uk/help-and-contact/lost-property".to_string(),
        ),
    ])
}

fn ctx() -> RenderContext {
    let author = Author {
        id: 1,
        username: "ada_r".into(),
        name: "Ada Resident".into(),
    };
    let places = ["Cherry Orchard Road".to_string(), "Croydon".to_string()];
    RenderContext::for_post(Some(&author), &places, "Priya Shah", "yourcroydon", &vars())
}

fn parse(text: &str) -> Result<Template, TemplateError> {
    Template::parse("t", text, VARS)
}

#[test]
fn every_placeholder_renders() {
    let t = parse(
        "Thanks {author} ({author_name}) for telling {council} about {place}. \
         {officer} has passed it on: {service_url}",
    )
    .unwrap();
    assert_eq!(
        t.render(&ctx(), false),
        "Thanks @ada_r (Ada Resident) for telling @yourcroydon about Cherry Orchard Road. \
         Priya has passed it on: https://www.croydon.gov.uk/report"
    );
    assert_eq!(
        t.placeholders(),
        [
            "author",
            "author_name",
            "council",
            "place",
            "officer",
            "service_url"
        ]
    );
    assert!(t.missing_values(&ctx(), false).is_empty());
}

#[test]
fn a_text_without_placeholders_renders_as_written() {
    let t = Template::parse("plain", "We've passed this on.", NO_VARS).unwrap();
    assert_eq!(
        t.render(&RenderContext::default(), false),
        "We've passed this on."
    );
    assert!(t.placeholders().is_empty());
}

#[test]
fn doubled_braces_are_literal() {
    let t = parse("{{author}} is {author}; }} and {{ alone; {{{place}}}").unwrap();
    assert_eq!(
        t.render(&ctx(), false),
        "{author} is @ada_r; } and { alone; {Cherry Orchard Road}"
    );
    assert_eq!(t.placeholders(), ["author", "place"]);
    assert_eq!(
        t.text(),
        "{{author}} is {author}; }} and {{ alone; {{{place}}}"
    );
}

#[test]
fn values_are_inserted_literally_not_expanded_again() {
    let t = parse("Hi {author_name}, re {place}").unwrap();
    let mut c = ctx();
    c.author_name = "{place} {{x}} }".into();
    assert_eq!(
        t.render(&c, false),
        "Hi {place} {{x}} }, re Cherry Orchard Road"
    );
}

#[test]
fn handles_get_one_at_sign() {
    let t = parse("{author} {council}").unwrap();
    let mut c = ctx();
    c.author = "@ada_r".into();
    c.council = "@@yourcroydon".into();
    assert_eq!(t.render(&c, false), "@ada_r @yourcroydon");
}

#[test]
fn missing_values_render_empty_and_are_reported() {
    let t = parse("Thanks {author}, re {place} {author}").unwrap();
    let c = RenderContext::for_post(None, &[], "", "yourcroydon", &BTreeMap::new());
    assert_eq!(t.render(&c, false), "Thanks , re  ");
    assert_eq!(t.missing_values(&c, false), ["author", "place"]);
}

#[test]
fn the_officer_is_named_by_first_name() {
    assert_eq!(first_name("Priya Shah"), "Priya");
    assert_eq!(first_name("  sam  "), "sam");
    assert_eq!(first_name(""), "");
    assert_eq!(ctx().officer, "Priya");
}

#[test]
fn welsh_renders_when_asked_and_falls_back_to_english() {
    let t = parse("Thanks {author}, we've passed this on.")
        .unwrap()
        .with_welsh("Diolch {author}, rydym wedi trosglwyddo hyn.", VARS)
        .unwrap();
    assert_eq!(
        t.render(&ctx(), true),
        "Diolch @ada_r, rydym wedi trosglwyddo hyn."
    );
    assert_eq!(
        t.render(&ctx(), false),
        "Thanks @ada_r, we've passed this on."
    );
    assert_eq!(
        t.welsh(),
        Some("Diolch {author}, rydym wedi trosglwyddo hyn.")
    );

    let english_only = parse("Thanks {author}").unwrap();
    assert_eq!(english_only.welsh(), None);
    assert_eq!(english_only.render(&ctx(), true), "Thanks @ada_r");
}

#[test]
fn welsh_is_checked_like_the_text() {
    let e = parse("Thanks")
        .unwrap()
        .with_welsh("Diolch {awdur}", VARS)
        .unwrap_err();
    assert!(
        matches!(e, TemplateError::UnknownPlaceholder { ref name, position: 8, .. } if name == "awdur")
    );
    let e = parse("Thanks").unwrap().with_welsh("  ", VARS).unwrap_err();
    assert_eq!(e, TemplateError::Empty);
}

#[test]
fn builder_sets_tags_and_approval() {
    let t = parse("Thanks")
        .unwrap()
        .with_tags(vec!["waste".into()])
        .requiring_approval(true);
    assert_eq!(
        (t.name(), t.tags(), t.requires_approval()),
        ("t", &["waste".to_string()][..], true)
    );
}

#[test]
fn an_unknown_placeholder_is_named_with_its_position() {
    let e = parse("Thanks {author}, see {servce_url}").unwrap_err();
    assert_eq!(
        e,
        TemplateError::UnknownPlaceholder {
            name: "servce_url".into(),
            position: 22,
            known: [
                "author",
                "author_name",
                "place",
                "officer",
                "council",
                "reference",
                "team",
                "service_url",
                "lost_property_url"
            ]
            .map(String::from)
            .to_vec(),
        }
    );
    assert_eq!(
        e.to_string(),
        "unknown placeholder {servce_url} at character 22 (did you mean {service_url}?); \
         placeholders: {author}, {author_name}, {place}, {officer}, {council}, \
         {reference}, {team}, {service_url}, {lost_property_url}"
    );
    // Positions count characters, not bytes.
    let e = parse("Diolch yn fawr iawn — {enw}").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("unknown placeholder {enw} at character 23;"),
        "{e}"
    );
    // Placeholders are case-sensitive; the hint catches it.
    let e = parse("{Author}").unwrap_err();
    assert!(e.to_string().contains("(did you mean {author}?)"), "{e}");
    // Nothing close: no hint.
    let e = parse("{postcode}").unwrap_err();
    assert!(!e.to_string().contains("did you mean"), "{e}");
}

#[test]
fn a_variable_not_configured_is_unknown() {
    let e = Template::parse("t", "{service_url}", NO_VARS).unwrap_err();
    assert!(matches!(
        e,
        TemplateError::UnknownPlaceholder { position: 1, .. }
    ));
}

#[test]
fn prose_braces_get_a_hint_about_escaping() {
    let e = parse("Call us { 9am to 5pm }").unwrap_err();
    assert_eq!(
        e.to_string(),
        "`{ 9am to 5pm }` at character 9 is not a placeholder (placeholders: {author}, \
         {author_name}, {place}, {officer}, {council}, {reference}, {team}, \
         {service_url}, {lost_property_url}); write `{{` and `}}` for literal braces"
    );
    let e = parse("{}").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("`{}` at character 1 is not a placeholder"),
        "{e}"
    );
}

#[test]
fn unbalanced_braces_are_refused() {
    assert_eq!(
        parse("Thanks {author").unwrap_err(),
        TemplateError::UnclosedBrace { position: 8 }
    );
    assert_eq!(
        parse("Thanks {auth{or}").unwrap_err(),
        TemplateError::UnclosedBrace { position: 8 }
    );
    assert_eq!(
        parse("a {").unwrap_err(),
        TemplateError::UnclosedBrace { position: 3 }
    );
    let e = parse("Thanks author}").unwrap_err();
    assert_eq!(e, TemplateError::UnopenedBrace { position: 14 });
    assert_eq!(
        e.to_string(),
        "`}` at character 14 closes nothing: write `}}` for a literal brace"
    );
    assert_eq!(
        parse("{author}}").unwrap_err(),
        TemplateError::UnopenedBrace { position: 9 }
    );
    assert!(
        TemplateError::UnclosedBrace { position: 8 }
            .to_string()
            .starts_with("unclosed `{` at character 8")
    );
}

#[test]
fn characters_x_refuses_are_refused() {
    let e = parse("ok\u{FEFF}").unwrap_err();
    assert_eq!(
        e,
        TemplateError::InvalidChar {
            ch: '\u{FEFF}',
            position: 3
        }
    );
    assert_eq!(
        e.to_string(),
        "U+FEFF at character 3 is a character X refuses"
    );
}

#[test]
fn empty_or_blank_text_is_refused() {
    for text in ["", "   ", "\n\t"] {
        assert_eq!(parse(text).unwrap_err(), TemplateError::Empty, "{text:?}");
    }
    assert_eq!(TemplateError::Empty.to_string(), "the text is empty");
}

#[test]
fn the_fixed_part_has_vars_filled_and_the_rest_empty() {
    let t = parse("Thanks {author}, report it at {service_url}").unwrap();
    assert_eq!(
        t.render_fixed(&vars(), false),
        "Thanks , report it at https://www.croydon.gov.uk/report"
    );
}
