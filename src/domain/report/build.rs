//! A [`Report`] assembled from the facts the store reads: the period's items
//! (each with its post's time, its status, what it is about, and when it was
//! first answered and resolved), the previous period's items per place, and
//! the month's reads and replies. Pure arithmetic: grouping, percentiles
//! ([`Times::of`]), targets, trends, shares and the month's forecast.

use std::collections::{BTreeMap, HashMap};

use time::{Date, Month, OffsetDateTime, UtcOffset};

use super::days::uk_date;
use super::{
    Count, Elapsed, Measure, Outcomes, Period, PlaceReads, Report, Speed, SpeedLine, Spend, Times,
    Trend, Volume,
};
use crate::domain::text::{ReplyCost, ReplyPrices};
use crate::domain::triage::{Priority, ReplyPath, Status, WaitingTargets};

/// How many places "top places" shows.
pub const TOP_PLACES: usize = 10;

/// The first response to an item: when, and by which officer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub at: OffsetDateTime,
    pub by: String,
}

/// One item of the period, as the report needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFacts {
    /// When its post was created (the instant durations count from).
    pub posted_at: OffsetDateTime,
    pub status: Status,
    pub priority: Priority,
    pub reply_path: ReplyPath,
    pub places: Vec<String>,
    pub tags: Vec<String>,
    /// The post's language as X tagged it (`en`, `cy`, `und`).
    pub lang: Option<String>,
    /// The team it is assigned to (a referred item: the team it was
    /// referred to).
    pub team: Option<String>,
    pub first_response: Option<Response>,
    pub resolved_at: Option<OffsetDateTime>,
}

/// A reply posted through the API in the month: its text and whether it
/// answers a summoning post (which sets its price).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiReply {
    pub text: String,
    pub summoned: bool,
}

/// What X cost in the month the period ends in, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthFacts {
    pub post_reads: u64,
    pub owned_reads: u64,
    pub replies: Vec<ApiReply>,
    /// Matched posts stored per place name.
    pub place_reads: Vec<(String, u64)>,
}

/// Everything the store reads for a report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub items: Vec<ItemFacts>,
    /// Items per place of the previous period.
    pub previous_places: HashMap<String, u64>,
    pub month: MonthFacts,
}

/// The prices and budget of `[budget]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    pub post_read_usd: f64,
    pub owned_read_usd: f64,
    pub replies: ReplyPrices,
    pub monthly_usd: Option<f64>,
}

/// What a report needs from the config, and the time it is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportSettings {
    /// How long an item of each priority may wait for its first response.
    pub targets: WaitingTargets,
    pub prices: Prices,
    /// Open items are measured up to now for "missed target"; the month's
    /// forecast is at the pace so far.
    pub now: OffsetDateTime,
}

/// The inbox query string of items posted in `period`, with `status` and
/// the other filters `extra` (URL-encoded).
pub fn inbox_query(period: &Period, status: &str, extra: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("status", status);
    q.append_pair("from", &period.from.to_string());
    q.append_pair("to", &period.to.to_string());
    for (key, value) in extra {
        q.append_pair(key, value);
    }
    q.finish()
}

/// `counts` as [`Count`]s, most first (ties by label), each linked with
/// `key=label`.
fn ranked(period: &Period, key: &str, counts: &BTreeMap<String, u64>) -> Vec<Count> {
    let mut out: Vec<Count> = counts
        .iter()
        .map(|(label, &n)| Count {
            query: Some(inbox_query(period, "all", &[(key, label)])),
            label: label.clone(),
            n,
        })
        .collect();
    out.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| a.label.cmp(&b.label)));
    out
}

/// The volume's groupings of a period's items, counted: items per place,
/// tag, reply path (`api`, `manual`) and language (`""` when X gave none).
/// The store counts them in SQL ([`Report::assemble_tallied`]); for items in
/// hand, [`Tally::of`] counts them the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub places: BTreeMap<String, u64>,
    pub tags: BTreeMap<String, u64>,
    pub paths: BTreeMap<String, u64>,
    pub langs: BTreeMap<String, u64>,
}

impl Tally {
    /// The groupings of `items`, from their places, tags, paths and languages.
    pub fn of(items: &[ItemFacts]) -> Tally {
        let mut tally = Tally::default();
        let add = |map: &mut BTreeMap<String, u64>, key: &str| {
            *map.entry(key.to_owned()).or_default() += 1;
        };
        for item in items {
            item.places.iter().for_each(|p| add(&mut tally.places, p));
            item.tags.iter().for_each(|t| add(&mut tally.tags, t));
            add(&mut tally.paths, item.reply_path.as_str());
            add(&mut tally.langs, item.lang.as_deref().unwrap_or(""));
        }
        tally
    }
}

fn volume(period: &Period, facts: &Facts, tally: &Tally) -> Volume {
    let mut per_day: BTreeMap<Date, u64> = BTreeMap::new();
    let mut day = period.from;
    while day <= period.to {
        per_day.insert(day, 0);
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    for item in &facts.items {
        if let Some(n) = per_day.get_mut(&uk_date(item.posted_at)) {
            *n += 1;
        }
    }
    let by_place = ranked(period, "place", &tally.places);
    let top_places = by_place
        .iter()
        .take(TOP_PLACES)
        .map(|c| Trend {
            label: c.label.clone(),
            this_period: c.n,
            previous_period: facts.previous_places.get(&c.label).copied().unwrap_or(0),
            query: c.query.clone(),
        })
        .collect();
    let mut by_reply_path = ranked(period, "path", &tally.paths);
    for c in &mut by_reply_path {
        c.label = if c.label == ReplyPath::Api.as_str() {
            "API".to_owned()
        } else {
            "Manual".to_owned()
        };
    }
    let mut by_language = ranked(period, "lang", &tally.langs);
    for c in by_language.iter_mut().filter(|c| c.label.is_empty()) {
        // X gave no language: nothing for the inbox to filter on.
        c.label = "Not given".to_owned();
        c.query = None;
    }
    Volume {
        total: facts.items.len() as u64,
        per_day: per_day.into_iter().collect(),
        by_place,
        by_tag: ranked(period, "tag", &tally.tags),
        by_reply_path,
        by_language,
        top_places,
    }
}

fn outcomes(period: &Period, items: &[ItemFacts]) -> Outcomes {
    let count = |label: &str, status: &str, extra: &[(&str, &str)], n: u64| Count {
        label: label.to_owned(),
        n,
        query: Some(inbox_query(period, status, extra)),
    };
    let n = |pred: &dyn Fn(&ItemFacts) -> bool| items.iter().filter(|i| pred(i)).count() as u64;
    let replied =
        |path: ReplyPath| n(&|i: &ItemFacts| i.status == Status::Replied && i.reply_path == path);
    let mut teams: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for item in items.iter().filter(|i| i.status == Status::Referred) {
        *teams.entry(item.team.clone()).or_default() += 1;
    }
    let mut referred: Vec<Count> = teams
        .into_iter()
        .map(|(team, n)| match team {
            Some(team) => count(&team, "referred", &[("team", &team)], n),
            None => Count {
                label: "No team".to_owned(),
                n,
                query: None,
            },
        })
        .collect();
    referred.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| a.label.cmp(&b.label)));
    let replied_api = count(
        "API",
        "replied",
        &[("path", "api")],
        replied(ReplyPath::Api),
    );
    let replied_manual = count(
        "Manual",
        "replied",
        &[("path", "manual")],
        replied(ReplyPath::Manual),
    );
    let total = items.len() as u64;
    let answered = replied_api.n + replied_manual.n + referred.iter().map(|c| c.n).sum::<u64>();
    Outcomes {
        total,
        replied_api,
        replied_manual,
        referred,
        dismissed: count(
            "Dismissed",
            "dismissed",
            &[],
            n(&|i: &ItemFacts| i.status == Status::Dismissed),
        ),
        open: count("Open", "open", &[], n(&|i: &ItemFacts| i.status.is_open())),
        answered_percent: if total == 0 {
            0.0
        } else {
            answered as f64 * 100.0 / total as f64
        },
    }
}

/// One item's durations under the report's measure.
struct Measured<'a> {
    item: &'a ItemFacts,
    first_response: Option<u64>,
    resolution: Option<u64>,
    missed: bool,
}

fn measure<'a>(
    item: &'a ItemFacts,
    elapsed: &dyn Elapsed,
    settings: &ReportSettings,
) -> Measured<'a> {
    let since_post = |at: OffsetDateTime| elapsed.secs(item.posted_at, at);
    let first_response = item.first_response.as_ref().map(|r| since_post(r.at));
    let target = settings.targets.target(item.priority).as_secs();
    let missed = match first_response {
        Some(secs) => secs > target,
        // Dismissed without an answer needs none; an open item is late once
        // it has waited past its target.
        None => item.status.is_open() && since_post(settings.now) > target,
    };
    Measured {
        item,
        first_response,
        resolution: item.resolved_at.map(since_post),
        missed,
    }
}

fn line(label: String, items: &[&Measured], query: Option<String>) -> SpeedLine {
    SpeedLine {
        label,
        first_response: Times::of(items.iter().filter_map(|m| m.first_response).collect()),
        resolution: Times::of(items.iter().filter_map(|m| m.resolution).collect()),
        missed_target: items.iter().filter(|m| m.missed).count() as u64,
        query,
    }
}

/// Groups `measured` by `key` (skipping items without one), a line each.
fn lines_by(
    period: &Period,
    measured: &[Measured],
    key: impl Fn(&Measured) -> Option<String>,
    filter: &str,
) -> Vec<SpeedLine> {
    let mut groups: BTreeMap<String, Vec<&Measured>> = BTreeMap::new();
    for m in measured {
        if let Some(k) = key(m) {
            groups.entry(k).or_default().push(m);
        }
    }
    let mut lines: Vec<SpeedLine> = groups
        .into_iter()
        .map(|(label, items)| {
            let query = Some(inbox_query(period, "all", &[(filter, &label)]));
            line(label, &items, query)
        })
        .collect();
    lines.sort_by(|a, b| {
        b.first_response
            .count
            .cmp(&a.first_response.count)
            .then_with(|| a.label.cmp(&b.label))
    });
    lines
}

fn speed(
    period: &Period,
    items: &[ItemFacts],
    elapsed: &dyn Elapsed,
    measure_of: Measure,
    settings: &ReportSettings,
) -> Speed {
    let measured: Vec<Measured> = items
        .iter()
        .map(|i| measure(i, elapsed, settings))
        .collect();
    let all: Vec<&Measured> = measured.iter().collect();
    let by_priority = [
        Priority::Urgent,
        Priority::High,
        Priority::Normal,
        Priority::Low,
    ]
    .into_iter()
    .filter_map(|p| {
        let of: Vec<&Measured> = all
            .iter()
            .copied()
            .filter(|m| m.item.priority == p)
            .collect();
        let label = capitalised(p.as_str());
        let query = Some(inbox_query(period, "all", &[("priority", p.as_str())]));
        (!of.is_empty()).then(|| line(label, &of, query))
    })
    .collect();
    let mut by_team = lines_by(period, &measured, |m| m.item.team.clone(), "team");
    let without: Vec<&Measured> = all
        .iter()
        .copied()
        .filter(|m| m.item.team.is_none())
        .collect();
    if !without.is_empty() {
        // The inbox has no filter for "no team".
        by_team.push(line("No team".to_owned(), &without, None));
    }
    Speed {
        measure: measure_of,
        overall: line(
            "All items".to_owned(),
            &all,
            Some(inbox_query(period, "all", &[])),
        ),
        by_priority,
        by_officer: lines_by(
            period,
            &measured,
            |m| m.item.first_response.as_ref().map(|r| r.by.clone()),
            "owner",
        ),
        by_team,
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// How much of `month` of `year` (UTC) has gone at `now`: 0 before it
/// begins, 1 once it is over.
pub fn month_fraction(year: i32, month: Month, now: OffsetDateTime) -> f64 {
    let now = now.to_offset(UtcOffset::UTC);
    match (now.year(), now.month() as u8).cmp(&(year, month as u8)) {
        std::cmp::Ordering::Less => 0.0,
        std::cmp::Ordering::Greater => 1.0,
        std::cmp::Ordering::Equal => {
            let days = f64::from(month.length(year));
            let gone = f64::from(now.day()) - 1.0
                + f64::from(now.hour()) / 24.0
                + f64::from(now.minute()) / 1440.0
                + f64::from(now.second()) / 86_400.0;
            gone / days
        }
    }
}

fn spend(period: &Period, month: &MonthFacts, settings: &ReportSettings) -> Spend {
    let prices = &settings.prices;
    let replies_usd: f64 = month
        .replies
        .iter()
        .map(|r| ReplyCost::for_text(&r.text, r.summoned, &prices.replies).usd)
        .sum();
    let post_reads_usd = month.post_reads as f64 * prices.post_read_usd;
    let owned_reads_usd = month.owned_reads as f64 * prices.owned_read_usd;
    let usd = post_reads_usd + owned_reads_usd + replies_usd;
    let (year, m) = (period.to.year(), period.to.month());
    // At the pace so far, as `placewatch status` forecasts (poller::report).
    let gone = month_fraction(year, m, settings.now).clamp(1e-3, 1.0);
    let mut by_place: Vec<PlaceReads> = month
        .place_reads
        .iter()
        .map(|(label, reads)| PlaceReads {
            label: label.clone(),
            reads: *reads,
            usd: *reads as f64 * prices.post_read_usd,
        })
        .collect();
    by_place.sort_by(|a, b| b.reads.cmp(&a.reads).then_with(|| a.label.cmp(&b.label)));
    Spend {
        month: format!("{year:04}-{:02}", m as u8),
        post_reads: month.post_reads,
        post_reads_usd,
        owned_reads: month.owned_reads,
        owned_reads_usd,
        replies: month.replies.len() as u64,
        replies_usd,
        usd,
        forecast_usd: usd / gone,
        budget_usd: prices.monthly_usd,
        by_place,
    }
}

impl Report {
    /// The report of `period` from what the store read, durations counted
    /// by `elapsed` (which `measure` names).
    pub fn assemble(
        period: Period,
        facts: &Facts,
        elapsed: &dyn Elapsed,
        measure: Measure,
        settings: &ReportSettings,
    ) -> Report {
        Report::assemble_tallied(
            period,
            facts,
            &Tally::of(&facts.items),
            elapsed,
            measure,
            settings,
        )
    }

    /// As [`Report::assemble`], with the volume's groupings counted in
    /// `tally`: the items' places, tags and languages are not read (the
    /// store leaves them empty), their post times are (the items per day).
    pub fn assemble_tallied(
        period: Period,
        facts: &Facts,
        tally: &Tally,
        elapsed: &dyn Elapsed,
        measure: Measure,
        settings: &ReportSettings,
    ) -> Report {
        Report {
            period,
            previous: period.previous(),
            volume: volume(&period, facts, tally),
            outcomes: outcomes(&period, &facts.items),
            speed: speed(&period, &facts.items, elapsed, measure, settings),
            spend: spend(&period, &facts.month, settings),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use time::macros::{date, datetime};

    use super::*;
    use crate::domain::report::WallClock;

    fn item(posted_at: OffsetDateTime, status: Status, priority: Priority) -> ItemFacts {
        ItemFacts {
            posted_at,
            status,
            priority,
            reply_path: ReplyPath::Api,
            places: vec!["Croydon".into()],
            tags: vec![],
            lang: Some("en".into()),
            team: None,
            first_response: None,
            resolved_at: None,
        }
    }

    fn answered(mut i: ItemFacts, by: &str, after_min: i64) -> ItemFacts {
        let at = i.posted_at + time::Duration::minutes(after_min);
        i.first_response = Some(Response { at, by: by.into() });
        i.resolved_at = Some(at);
        i
    }

    fn settings(now: OffsetDateTime) -> ReportSettings {
        ReportSettings {
            targets: WaitingTargets {
                urgent: Duration::from_secs(30 * 60),
                high: Duration::from_secs(60 * 60),
                normal: Duration::from_secs(8 * 3600),
                low: Duration::from_secs(24 * 3600),
            },
            prices: Prices {
                post_read_usd: 0.005,
                owned_read_usd: 0.001,
                replies: ReplyPrices::X_2026_04_20,
                monthly_usd: Some(100.0),
            },
            now,
        }
    }

    #[test]
    fn a_small_period_by_hand() {
        let period = Period::new(date!(2026 - 11 - 02), date!(2026 - 11 - 03)).unwrap();
        // 00:30 UTC on the 3rd is still the 3rd in November (GMT).
        let t = datetime!(2026-11-02 09:00 UTC);
        let mut a = answered(item(t, Status::Replied, Priority::Normal), "sam", 30);
        a.places.push("Purley".into());
        a.tags = vec!["roads".into()];
        let mut b = answered(item(t, Status::Replied, Priority::High), "priya", 90);
        b.reply_path = ReplyPath::Manual;
        b.lang = Some("cy".into());
        b.team = Some("Highways".into());
        let mut c = answered(
            item(
                datetime!(2026-11-03 00:30 UTC),
                Status::Referred,
                Priority::Normal,
            ),
            "sam",
            600,
        );
        c.team = Some("Waste & Streets".into());
        c.lang = None;
        let mut d = item(t, Status::Dismissed, Priority::Low);
        d.resolved_at = Some(t + time::Duration::minutes(5));
        let e = item(t, Status::New, Priority::Urgent);
        let facts = Facts {
            items: vec![a, b, c, d, e],
            previous_places: HashMap::from([("Croydon".to_owned(), 7)]),
            month: MonthFacts::default(),
        };
        let now = datetime!(2026-11-04 12:00 UTC);
        let r = Report::assemble(
            period,
            &facts,
            &WallClock,
            Measure::WallClock,
            &settings(now),
        );
        let v = &r.volume;
        assert_eq!(v.total, 5);
        assert_eq!(
            v.per_day,
            vec![(date!(2026 - 11 - 02), 4), (date!(2026 - 11 - 03), 1)]
        );
        assert_eq!(
            v.by_place
                .iter()
                .map(|c| (c.label.as_str(), c.n))
                .collect::<Vec<_>>(),
            [("Croydon", 5), ("Purley", 1)]
        );
        assert_eq!(
            v.by_place[1].query.as_deref(),
            Some("status=all&from=2026-11-02&to=2026-11-03&place=Purley")
        );
        assert_eq!(
            v.by_language
                .iter()
                .map(|c| (c.label.as_str(), c.n, c.query.is_some()))
                .collect::<Vec<_>>(),
            [("en", 3, true), ("Not given", 1, false), ("cy", 1, true)]
        );
        assert_eq!(
            v.by_reply_path
                .iter()
                .map(|c| (c.label.as_str(), c.n))
                .collect::<Vec<_>>(),
            [("API", 4), ("Manual", 1)]
        );
        assert_eq!(
            (v.top_places[0].this_period, v.top_places[0].previous_period),
            (5, 7)
        );
        let o = &r.outcomes;
        assert_eq!((o.replied_api.n, o.replied_manual.n), (1, 1));
        assert_eq!(o.referred.len(), 1);
        assert_eq!(
            o.referred[0].query.as_deref(),
            Some("status=referred&from=2026-11-02&to=2026-11-03&team=Waste+%26+Streets")
        );
        assert_eq!((o.dismissed.n, o.open.n), (1, 1));
        assert_eq!(o.answered_percent, 60.0);
        let s = &r.speed;
        // First responses: 30 min, 90 min, 600 min.
        assert_eq!(s.overall.first_response.count, 3);
        assert_eq!(s.overall.first_response.median_secs, Some(90 * 60));
        assert_eq!(s.overall.first_response.p90_secs, Some(600 * 60));
        // Resolutions: 5, 30, 90, 600 min.
        assert_eq!(s.overall.resolution.median_secs, Some(30 * 60));
        // Missed: c (600 min > 8 h), b (90 min > 1 h), e (open urgent,
        // waiting since 2 Nov 09:00).
        assert_eq!(s.overall.missed_target, 3);
        assert_eq!(
            s.by_priority
                .iter()
                .map(|l| (l.label.as_str(), l.missed_target))
                .collect::<Vec<_>>(),
            [("Urgent", 1), ("High", 1), ("Normal", 1), ("Low", 0)]
        );
        assert_eq!(
            s.by_officer
                .iter()
                .map(|l| (l.label.as_str(), l.first_response.median_secs))
                .collect::<Vec<_>>(),
            [("sam", Some(30 * 60)), ("priya", Some(90 * 60))]
        );
        assert_eq!(
            s.by_team
                .iter()
                .map(|l| (l.label.as_str(), l.query.is_some()))
                .collect::<Vec<_>>(),
            [
                ("Highways", true),
                ("Waste & Streets", true),
                ("No team", false)
            ]
        );
    }

    #[test]
    fn spend_is_priced_and_forecast_at_the_pace_so_far() {
        let period = Period::new(date!(2026 - 11 - 01), date!(2026 - 11 - 30)).unwrap();
        let facts = Facts {
            month: MonthFacts {
                post_reads: 1000,
                owned_reads: 500,
                replies: vec![ApiReply {
                    text: "Thanks, we're on it".into(),
                    summoned: false,
                }],
                place_reads: vec![("Purley".into(), 10), ("Croydon".into(), 40)],
            },
            ..Facts::default()
        };
        // Ten days of thirty gone: a third.
        let now = datetime!(2026-11-11 00:00 UTC);
        let s = settings(now);
        let r = Report::assemble(period, &facts, &WallClock, Measure::WallClock, &s);
        let reply = ReplyPrices::X_2026_04_20.post_create_usd;
        let usd = 1000.0 * 0.005 + 500.0 * 0.001 + reply;
        assert_eq!(r.spend.month, "2026-11");
        assert!((r.spend.usd - usd).abs() < 1e-9);
        assert!((r.spend.post_reads_usd - 5.0).abs() < 1e-9);
        assert!((r.spend.owned_reads_usd - 0.5).abs() < 1e-9);
        assert!((r.spend.replies_usd - reply).abs() < 1e-9);
        assert!((r.spend.forecast_usd - usd * 3.0).abs() < 1e-9);
        assert_eq!(r.spend.budget_usd, Some(100.0));
        assert_eq!(r.spend.by_place[0].label, "Croydon");
        assert!((r.spend.by_place[0].usd - 0.2).abs() < 1e-9);
        // A month over is its own forecast.
        let later = settings(datetime!(2027-01-05 00:00 UTC));
        let r = Report::assemble(period, &facts, &WallClock, Measure::WallClock, &later);
        assert!((r.spend.forecast_usd - usd).abs() < 1e-9);
    }

    #[test]
    fn month_fraction_counts_from_the_first() {
        assert_eq!(
            month_fraction(2026, Month::November, datetime!(2026-10-31 23:00 UTC)),
            0.0
        );
        assert_eq!(
            month_fraction(2026, Month::November, datetime!(2026-11-16 00:00 UTC)),
            0.5
        );
        assert_eq!(
            month_fraction(2026, Month::November, datetime!(2026-12-01 00:00 UTC)),
            1.0
        );
    }
}
