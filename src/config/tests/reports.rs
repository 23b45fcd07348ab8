//! `[reports]`: the weekly report email's recipients and time, and bad
//! values named by key and line.

use super::*;

const MAIL: &str =
    "\n[mail]\nsmtp_host = \"smtp.office365.com\"\nfrom = \"comms-desk@croydon.gov.uk\"\n";

#[test]
fn no_weekly_email_by_default_and_monday_at_eight_when_named() {
    let r = parse(MINIMAL).unwrap().reports;
    assert!(r.weekly_to.is_empty());
    assert_eq!(r.weekly_day, time::Weekday::Monday);
    assert_eq!(r.weekly_at.to_string(), "08:00");

    let src = format!(
        "{MINIMAL}{MAIL}\n[reports]\nweekly_to = [\"head.of.comms@croydon.gov.uk\", \
         \"HEAD.of.comms@croydon.gov.uk\"]\nweekly_day = \"Friday\"\nweekly_at = \"16:30\"\n"
    );
    let c = parse(&src).unwrap();
    assert_eq!(
        c.reports.weekly_to.len(),
        1,
        "one address once, whatever its case"
    );
    assert_eq!(c.reports.weekly_day, time::Weekday::Friday);
    let rendered = c.render_effective_with_env(&|_| None);
    assert!(
        rendered.contains("[reports]\nweekly_to = [\"head.of.comms@croydon.gov.uk\"]\nweekly_day = \"friday\"\nweekly_at = \"16:30\"\n"),
        "{rendered}"
    );
    assert_eq!(parse(&rendered).unwrap().reports, c.reports);
}

#[test]
fn bad_report_settings_are_named_by_key_and_line() {
    let cases = [
        (
            "weekly_day = \"Mon\"",
            "reports.weekly_day",
            "not a day of the week",
        ),
        ("weekly_at = \"8am\"", "reports.weekly_at", "HH:MM"),
        (
            "weekly_to = [\"not an address\"]",
            "reports.weekly_to",
            "not an address",
        ),
    ];
    for (line, key, says) in cases {
        let src = format!("{MINIMAL}{MAIL}\n[reports]\n{line}\n");
        let at = src.lines().position(|l| l == line).unwrap() + 1;
        let e = parse(&src).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("config/placewatch.toml:{at}: {key}: ")),
            "{line}: {e}"
        );
        assert!(e.contains(says), "{line}: {e}");
    }
}

#[test]
fn a_weekly_email_without_mail_settings_is_refused() {
    let line = "weekly_to = [\"head.of.comms@croydon.gov.uk\"]";
    let src = format!("{MINIMAL}\n[reports]\n{line}\n");
    let at = src.lines().position(|l| l == line).unwrap() + 1;
    let e = parse(&src).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("config/placewatch.toml:{at}: reports.weekly_to: ")),
        "{e}"
    );
    assert!(e.contains("needs a [mail] section"), "{e}");
}
