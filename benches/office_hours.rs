//! Counting office hours at report scale: a 30-day report over 200,000
//! items asks `Elapsed::secs` about 400,000 times (first response and
//! resolution), so one call must cost well under a microsecond whatever the
//! span. This times 400,000 calls on spans from a minute to three months,
//! in office hours (England and Wales) and on the wall clock, nine rounds,
//! and prints the median and slowest round. Target: 400,000 calls within
//! 50 ms in the median round (a quarter of the report's 200 ms budget).
//!
//! Run: `cargo bench --bench office_hours`.

use std::time::{Duration, Instant};

use placewatch::domain::hours::OfficeHours;
use placewatch::domain::report::{Elapsed, WallClock};
use time::OffsetDateTime;

const CALLS: usize = 400_000;
const TARGET: Duration = Duration::from_millis(50);

/// Spans starting anywhere in 2026, a minute to 90 days long (an LCG, so
/// runs repeat).
fn spans() -> Vec<(OffsetDateTime, OffsetDateTime)> {
    let mut seed: u64 = 17;
    let mut next = move |m: i64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as i64 % m
    };
    let base = time::macros::datetime!(2026-01-01 00:00 UTC);
    (0..CALLS)
        .map(|_| {
            let from = base + time::Duration::seconds(next(365 * 86_400));
            let to = from + time::Duration::seconds(60 + next(90 * 86_400));
            (from, to)
        })
        .collect()
}

/// The median and slowest of nine rounds, and the seconds counted.
fn time_rounds(
    rule: &dyn Elapsed,
    spans: &[(OffsetDateTime, OffsetDateTime)],
) -> (Duration, Duration, u64) {
    let mut rounds = Vec::new();
    let mut total = 0;
    for _ in 0..9 {
        let started = Instant::now();
        total = spans.iter().map(|(a, b)| rule.secs(*a, *b)).sum::<u64>();
        rounds.push(started.elapsed());
    }
    rounds.sort();
    (rounds[4], rounds[8], total)
}

fn main() {
    let spans = spans();
    let office = OfficeHours::default();
    let (office_median, office_max, office_secs) = time_rounds(&office, &spans);
    let (wall_median, wall_max, wall_secs) = time_rounds(&WallClock, &spans);
    println!(
        "office hours: {CALLS} calls in {office_median:?} (median of 9 rounds; slowest {office_max:?}; {} office hours counted)",
        office_secs / 3600
    );
    println!(
        "wall clock:   {CALLS} calls in {wall_median:?} (slowest {wall_max:?}; {} hours counted)",
        wall_secs / 3600
    );
    assert!(
        office_secs < wall_secs,
        "office hours are a part of the day"
    );
    if office_median > TARGET {
        eprintln!("SLOWER than the {TARGET:?} target");
        std::process::exit(1);
    }
}
