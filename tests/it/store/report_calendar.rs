//! The report of a fortnight that holds a weekend, the spring change to
//! British Summer Time (Sunday 29 March 2026) and Easter's two bank holidays
//! in England and Wales (Good Friday 3 April, Easter Monday 6 April), built
//! from what officers did at known times (`store::backdated`) through the
//! store's own verbs, and every figure checked exactly, in office hours
//! (the default week: Monday to Friday, 09:00 to 17:00 UK time) and in
//! wall-clock time. The expected durations are worked out by hand below.

use std::path::Path;

use placewatch::config::Config;
use placewatch::domain::outbox::ReplyState;
use placewatch::domain::report::{Measure, Period, Prices, Report, ReportSettings, WallClock};
use placewatch::domain::team::TeamConfig;
use placewatch::domain::text::ReplyPrices;
use placewatch::domain::triage::{Action, Priority, ReplyPath, WaitingTargets};
use placewatch::store::{NewReferral, Store, backdated};
use time::OffsetDateTime;
use time::macros::{date, datetime};

use super::{TestStore, batch_at, ids_by_post, matched, post, thanks};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

const HOUR: u64 = 3600;
const MIN: u64 = 60;

/// The period: Thursday 26 March to Wednesday 8 April 2026 (UK days).
pub(super) fn fortnight() -> Period {
    Period::new(date!(2026 - 03 - 26), date!(2026 - 04 - 08)).unwrap()
}

/// When the report is read: Wednesday 8 April, 17:00 BST.
const NOW: OffsetDateTime = datetime!(2026-04-08 16:00 UTC);

pub(super) fn settings() -> ReportSettings {
    ReportSettings {
        targets: WaitingTargets::default(),
        prices: Prices {
            post_read_usd: 0.005,
            owned_read_usd: 0.001,
            replies: ReplyPrices::X_2026_04_20,
            monthly_usd: None,
        },
        now: NOW,
    }
}

/// The default office hours, with England and Wales's bank holidays.
pub(super) fn council() -> Config {
    let toml = "[council]\nname = \"Croydon Council\"\nhandle = \"yourcroydon\"\n\
                [monitor]\nplaces = [\"Croydon\", \"Purley\"]\n";
    Config::from_str_with_env(toml, Path::new("placewatch.toml"), &|_| None).unwrap()
}

/// Files the six posts (one before the period) and does what the officers
/// did, each at its time. Returns the items' ids by post id.
pub(super) async fn a_fortnight(store: &Store) -> std::collections::HashMap<u64, i64> {
    let streets = TeamConfig {
        name: "Streets".into(),
        emails: vec!["streets@croydon.example".parse().unwrap()],
        members: vec![],
        teams_webhook_env: None,
        slack_webhook_env: None,
    };
    store.sync_config_teams(&[streets]).await.unwrap();
    // (post, posted at, places, priority, reply path, language)
    let posts = [
        // A: Friday 27 March, 16:00 GMT.
        (
            201,
            datetime!(2026-03-27 16:00 UTC),
            &["Croydon"][..],
            Priority::Normal,
            ReplyPath::Api,
            "en",
        ),
        // B: Saturday 28 March, noon GMT; Welsh, only a person can answer.
        (
            202,
            datetime!(2026-03-28 12:00 UTC),
            &["Croydon", "Purley"][..],
            Priority::High,
            ReplyPath::Manual,
            "cy",
        ),
        // C: Thursday 2 April, 16:30 BST, before Easter.
        (
            203,
            datetime!(2026-04-02 15:30 UTC),
            &["Purley"][..],
            Priority::Normal,
            ReplyPath::Api,
            "en",
        ),
        // D: Wednesday 1 April, 10:00 BST.
        (
            204,
            datetime!(2026-04-01 09:00 UTC),
            &["Croydon"][..],
            Priority::Low,
            ReplyPath::Api,
            "en",
        ),
        // E: Tuesday 7 April, 12:00 BST, still new.
        (
            205,
            datetime!(2026-04-07 11:00 UTC),
            &["Croydon"][..],
            Priority::Urgent,
            ReplyPath::Api,
            "en",
        ),
        // F: Wednesday 25 March, the previous fortnight.
        (
            206,
            datetime!(2026-03-25 12:00 UTC),
            &["Croydon"][..],
            Priority::Normal,
            ReplyPath::Api,
            "en",
        ),
    ];
    let tagged = posts
        .iter()
        .map(|(id, at, places, priority, path, lang)| {
            let mut p = post(*id, &format!("Something in {}", places[0]));
            p.created_at = Some(
                at.format(&time::format_description::well_known::Rfc3339)
                    .unwrap(),
            );
            p.lang = Some((*lang).to_owned());
            let mut m = matched(p, places);
            m.reply_path = *path;
            m.decision.priority = *priority;
            m
        })
        .collect();
    store
        .record_pages(&batch_at("Croydon", tagged, "2026-04-08T12:00:00Z"))
        .await
        .unwrap();
    let ids = ids_by_post(store).await;

    // A: sam claims it on Monday at 09:30 BST and replies through the API at 10:00.
    backdated(
        datetime!(2026-03-30 08:30 UTC),
        store.transition(ids[&201], Action::Claim, "sam"),
    )
    .await
    .unwrap();
    let sent = backdated(
        datetime!(2026-03-30 08:59 UTC),
        store.record_reply(&thanks(
            ids[&201],
            "sam",
            ReplyState::Sending,
            ReplyPath::Api,
        )),
    )
    .await
    .unwrap();
    backdated(
        datetime!(2026-03-30 09:00 UTC),
        store.mark_sent(sent.id, 9_001, "outbox"),
    )
    .await
    .unwrap();
    // B: priya answers on x.com; her reply is found on Thursday 2 April at 11:00 BST.
    let manual = backdated(
        datetime!(2026-04-02 09:50 UTC),
        store.record_reply(&thanks(
            ids[&202],
            "priya",
            ReplyState::ManualPending,
            ReplyPath::Manual,
        )),
    )
    .await
    .unwrap();
    backdated(
        datetime!(2026-04-02 10:00 UTC),
        store.link_manual_reply(manual.id, 9_002),
    )
    .await
    .unwrap();
    // C: sam refers it to Streets on Tuesday 7 April at 09:15 BST.
    backdated(
        datetime!(2026-04-07 08:15 UTC),
        store.refer(&NewReferral {
            item_id: ids[&203],
            team: "Streets",
            reason: "Bins not collected",
            officer: "sam",
            message_domain: "croydon.example",
        }),
    )
    .await
    .unwrap();
    // D: priya dismisses it twenty minutes after it was posted.
    backdated(
        datetime!(2026-04-01 09:20 UTC),
        store.transition(ids[&204], Action::Dismiss, "priya"),
    )
    .await
    .unwrap();
    ids
}

/// (label, first responses, median, 90th percentile, resolutions, median,
/// 90th percentile, missed target) of a line.
type Line = (
    String,
    u64,
    Option<u64>,
    Option<u64>,
    u64,
    Option<u64>,
    Option<u64>,
    u64,
);

fn lines(lines: &[placewatch::domain::report::SpeedLine]) -> Vec<Line> {
    lines
        .iter()
        .map(|l| {
            (
                l.label.clone(),
                l.first_response.count,
                l.first_response.median_secs,
                l.first_response.p90_secs,
                l.resolution.count,
                l.resolution.median_secs,
                l.resolution.p90_secs,
                l.missed_target,
            )
        })
        .collect()
}

fn line(label: &str, fr: &[u64], res: &[u64], missed: u64) -> Line {
    let median = |v: &[u64]| (!v.is_empty()).then(|| v[(v.len() * 50).div_ceil(100) - 1]);
    let p90 = |v: &[u64]| (!v.is_empty()).then(|| v[(v.len() * 90).div_ceil(100) - 1]);
    let (mut fr, mut res) = (fr.to_vec(), res.to_vec());
    fr.sort_unstable();
    res.sort_unstable();
    (
        label.to_owned(),
        fr.len() as u64,
        median(&fr),
        p90(&fr),
        res.len() as u64,
        median(&res),
        p90(&res),
        missed,
    )
}

/// The figures that do not depend on the clock.
pub(super) fn assert_counts(r: &Report) {
    let v = &r.volume;
    assert_eq!(v.total, 5);
    let per_day: Vec<(String, u64)> = v.per_day.iter().map(|(d, n)| (d.to_string(), *n)).collect();
    let expected: Vec<(String, u64)> = [
        ("2026-03-26", 0),
        ("2026-03-27", 1),
        ("2026-03-28", 1),
        ("2026-03-29", 0),
        ("2026-03-30", 0),
        ("2026-03-31", 0),
        ("2026-04-01", 1),
        ("2026-04-02", 1),
        ("2026-04-03", 0),
        ("2026-04-04", 0),
        ("2026-04-05", 0),
        ("2026-04-06", 0),
        ("2026-04-07", 1),
        ("2026-04-08", 0),
    ]
    .iter()
    .map(|(d, n)| ((*d).to_owned(), *n))
    .collect();
    assert_eq!(per_day, expected);
    let counts = |c: &[placewatch::domain::report::Count]| {
        c.iter().map(|c| (c.label.clone(), c.n)).collect::<Vec<_>>()
    };
    let owned = |p: &[(&str, u64)]| {
        p.iter()
            .map(|(l, n)| ((*l).to_owned(), *n))
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(&v.by_place), owned(&[("Croydon", 4), ("Purley", 2)]));
    assert_eq!(
        counts(&v.by_reply_path),
        owned(&[("API", 4), ("Manual", 1)])
    );
    let mut languages = counts(&v.by_language);
    languages.sort();
    assert_eq!(languages, owned(&[("cy", 1), ("en", 4)]));
    let top: Vec<(String, u64, u64)> = v
        .top_places
        .iter()
        .map(|t| (t.label.clone(), t.this_period, t.previous_period))
        .collect();
    assert_eq!(
        top,
        [("Croydon".to_owned(), 4, 1), ("Purley".to_owned(), 2, 0)]
    );

    let o = &r.outcomes;
    assert_eq!((o.replied_api.n, o.replied_manual.n), (1, 1));
    assert_eq!(counts(&o.referred), owned(&[("Streets", 1)]));
    assert_eq!((o.dismissed.n, o.open.n), (1, 1));

    // April's reads: the six posts stored on 8 April; A's reply went out in March.
    let s = &r.spend;
    assert_eq!(
        (s.month.as_str(), s.post_reads, s.replies),
        ("2026-04", 6, 0)
    );
    let places: Vec<(String, u64)> = s
        .by_place
        .iter()
        .map(|p| (p.label.clone(), p.reads))
        .collect();
    assert_eq!(places, owned(&[("Croydon", 5), ("Purley", 2)]));
}

#[apply(engines)]
#[tokio::test]
async fn a_fortnight_over_the_clock_change_and_easter_is_counted_exactly(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    a_fortnight(&t.store).await;
    let council = council();

    // In office hours. A: Friday 16:00–17:00 and Monday 09:00–10:00 BST: 2 h.
    // B: Monday to Wednesday (3 × 8 h) and Thursday 09:00–11:00: 26 h.
    // C: Thursday 16:30–17:00, then Good Friday, the weekend and Easter
    // Monday closed, Tuesday 09:00–09:15: 45 min. D: 20 min, resolved only.
    // E: still new, urgent (30 min): Tuesday 12:00–17:00 and Wednesday: late.
    let (a, b, c, d) = (2 * HOUR, 26 * HOUR, 45 * MIN, 20 * MIN);
    let office = t
        .store
        .report(
            fortnight(),
            council.office_hours(),
            Measure::OfficeHours,
            &settings(),
        )
        .await
        .unwrap();
    assert_counts(&office);
    let s = &office.speed;
    assert_eq!(s.measure, Measure::OfficeHours);
    // Missed: B (high, 1 h) and E (urgent, unanswered); A and C are within 8 h.
    assert_eq!(
        lines(std::slice::from_ref(&s.overall)),
        [line("All items", &[a, b, c], &[a, b, c, d], 2)]
    );
    assert_eq!(
        lines(&s.by_priority),
        [
            line("Urgent", &[], &[], 1),
            line("High", &[b], &[b], 1),
            line("Normal", &[a, c], &[a, c], 0),
            line("Low", &[], &[d], 0),
        ]
    );
    assert_eq!(
        lines(&s.by_officer),
        [
            line("sam", &[a, c], &[a, c], 0),
            line("priya", &[b], &[b], 1)
        ]
    );
    assert_eq!(
        lines(&s.by_team),
        [
            line("Streets", &[c], &[c], 0),
            line("No team", &[a, b], &[a, b, d], 2)
        ]
    );

    // In wall-clock time, the hour lost on 29 March is not counted.
    // A: Friday 16:00 GMT to Monday 09:00 UTC: 65 h. B: Saturday 12:00 to
    // Thursday 10:00 UTC: 118 h. C: Thursday 15:30 to Tuesday 08:15 UTC:
    // 112 h 45 min. D: 20 min. Missed: A, B, C (8 h) and E.
    let (a, b, c) = (65 * HOUR, 118 * HOUR, 112 * HOUR + 45 * MIN);
    let wall = t
        .store
        .report(fortnight(), &WallClock, Measure::WallClock, &settings())
        .await
        .unwrap();
    assert_counts(&wall);
    let s = &wall.speed;
    assert_eq!(
        lines(std::slice::from_ref(&s.overall)),
        [line("All items", &[a, b, c], &[a, b, c, d], 4)]
    );
    assert_eq!(
        lines(&s.by_priority),
        [
            line("Urgent", &[], &[], 1),
            line("High", &[b], &[b], 1),
            line("Normal", &[a, c], &[a, c], 2),
            line("Low", &[], &[d], 0),
        ]
    );
    assert_eq!(
        lines(&s.by_officer),
        [
            line("sam", &[a, c], &[a, c], 2),
            line("priya", &[b], &[b], 1)
        ]
    );
    assert_eq!(
        lines(&s.by_team),
        [
            line("Streets", &[c], &[c], 1),
            line("No team", &[a, b], &[a, b, d], 3)
        ]
    );
}
