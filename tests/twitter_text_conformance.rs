//! Checks `domain::text` against twitter-text's own conformance cases
//! (`tests/data/twitter-text/validate.yml`, copied byte-for-byte from upstream;
//! source and licence in `tests/data/twitter-text/`).
//!
//! Upstream's harnesses run `WeightedTweetsCounterTest` with the v2 configuration,
//! `WeightedTweetsWithDiscountedEmojiCounterTest` with v3, and
//! `UnicodeDirectionalMarkerCounterTest` with the default, which is v3. Every case is run and
//! every failure reported, not just the first.

use std::collections::BTreeMap;

use placewatch::domain::text::{LengthConfig, WeightedLength, weighted_length_with};
use serde::Deserialize;

const VALIDATE_YML: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/twitter-text/validate.yml"
);

#[derive(Deserialize)]
struct Conformance {
    tests: BTreeMap<String, yaml_serde::Value>,
}

#[derive(Deserialize)]
struct Case {
    description: String,
    text: String,
    expected: Expected,
}

#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Expected {
    weighted_length: i64,
    valid: bool,
    permillage: i64,
    display_range_start: i64,
    display_range_end: i64,
    valid_range_start: i64,
    valid_range_end: i64,
}

impl Expected {
    /// Puts our result in upstream's shape; an absent range is upstream's (0, -1).
    fn from_result(r: &WeightedLength) -> Self {
        let range = |r: Option<placewatch::domain::text::Utf16Range>| {
            r.map_or((0, -1), |r| (r.start as i64, r.end as i64))
        };
        let (display_range_start, display_range_end) = range(r.display_range);
        let (valid_range_start, valid_range_end) = range(r.valid_range);
        Self {
            weighted_length: r.weighted as i64,
            valid: r.valid,
            permillage: r.permillage as i64,
            display_range_start,
            display_range_end,
            valid_range_start,
            valid_range_end,
        }
    }
}

fn cases(file: &Conformance, section: &str) -> Vec<Case> {
    let value = file
        .tests
        .get(section)
        .unwrap_or_else(|| panic!("validate.yml has no section {section}"))
        .clone();
    yaml_serde::from_value(value).unwrap_or_else(|e| panic!("section {section}: {e}"))
}

#[test]
fn weighted_length_matches_twitter_text_conformance() {
    let yaml = std::fs::read_to_string(VALIDATE_YML)
        .unwrap_or_else(|e| panic!("reading {VALIDATE_YML}: {e}"));
    let file: Conformance = yaml_serde::from_str(&yaml).expect("validate.yml parses");

    let sections = [
        ("WeightedTweetsCounterTest", LengthConfig::v2()),
        (
            "WeightedTweetsWithDiscountedEmojiCounterTest",
            LengthConfig::v3(),
        ),
        ("UnicodeDirectionalMarkerCounterTest", LengthConfig::v3()),
    ];
    let mut failures = Vec::new();
    let mut summary = Vec::new();
    for (section, config) in &sections {
        let cases = cases(&file, section);
        assert!(!cases.is_empty(), "section {section} has no cases");
        let mut passed = 0;
        for case in &cases {
            let got = Expected::from_result(&weighted_length_with(&case.text, config));
            if got == case.expected {
                passed += 1;
            } else {
                failures.push(format!(
                    "{section} / {}:\n    expected {:?}\n    got      {got:?}",
                    case.description, case.expected
                ));
            }
        }
        summary.push(format!(
            "{section}: {passed} passed, {} failed",
            cases.len() - passed
        ));
    }
    println!("{}", summary.join("\n"));
    assert!(
        failures.is_empty(),
        "{} conformance case(s) failed:\n{}\n{}",
        failures.len(),
        failures.join("\n"),
        summary.join("\n")
    );
}
