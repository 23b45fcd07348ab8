//! Spikes: when posts about a place (or with a tag) in the last hour are
//! far above the usual for that hour of the week, the desk shows a banner
//! and the alerts team's channels are told, once per spike.
//!
//! The usual level is the average count in the same hour of the week over
//! the last `baseline_weeks` weeks, counting only weeks the store has posts
//! for (a young store does not average in empty weeks it never watched).
//! A store less than a week old has no such hour yet: its usual level is
//! the hourly average over all it has (before the last hour), so a place
//! that is always busy does not "spike" through a new deployment's first
//! week.
//! A spike needs at least `min_posts` posts and `factor` times the usual,
//! where a usual under one post counts as one: a quiet place needs
//! `max(min_posts, factor)` posts, not any handful. It lasts until the
//! count falls below that threshold again.
//!
//! Pure: the store counts, `alerts` runs the check.

/// One hour, in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;
/// One week, in milliseconds.
pub const WEEK_MS: i64 = 7 * 24 * HOUR_MS;

/// What counts as a spike (`[alerts]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeRule {
    /// Times the usual level (≥ 1).
    pub factor: f64,
    /// Posts in the hour, at least.
    pub min_posts: u64,
    /// Weeks of history the usual level averages.
    pub baseline_weeks: u32,
}

impl Default for SpikeRule {
    fn default() -> Self {
        SpikeRule {
            factor: 3.0,
            min_posts: 10,
            baseline_weeks: 4,
        }
    }
}

impl SpikeRule {
    /// The average of the baseline weeks' counts (0 with none).
    pub fn usual(counts: &[u64]) -> f64 {
        if counts.is_empty() {
            return 0.0;
        }
        counts.iter().sum::<u64>() as f64 / counts.len() as f64
    }

    /// The posts an hour needs to be a spike, given the usual level.
    pub fn threshold(&self, usual: f64) -> f64 {
        (self.factor * usual.max(1.0)).max(self.min_posts as f64)
    }

    /// Whether `count` posts in the last hour is a spike over `usual`.
    pub fn is_spike(&self, count: u64, usual: f64) -> bool {
        count as f64 >= self.threshold(usual)
    }

    /// The last hour, and what its usual level is measured on: the same
    /// hour in each baseline week that is not before `earliest_ms` (the
    /// oldest stored post); with none, the history before the last hour if
    /// it spans an hour at least; else nothing.
    pub fn baseline(&self, now_ms: i64, earliest_ms: Option<i64>) -> (Window, Baseline) {
        let current = Window {
            from_ms: now_ms - HOUR_MS,
            to_ms: now_ms,
        };
        let Some(earliest) = earliest_ms else {
            return (current, Baseline::Nothing);
        };
        let weeks: Vec<Window> = (1..=i64::from(self.baseline_weeks))
            .map(|w| Window {
                from_ms: current.from_ms - w * WEEK_MS,
                to_ms: current.to_ms - w * WEEK_MS,
            })
            .filter(|w| w.from_ms >= earliest)
            .collect();
        if !weeks.is_empty() {
            return (current, Baseline::Weeks(weeks));
        }
        let recent = Window {
            from_ms: earliest,
            to_ms: current.from_ms,
        };
        if recent.to_ms - recent.from_ms >= HOUR_MS {
            (current, Baseline::Recent(recent))
        } else {
            (current, Baseline::Nothing)
        }
    }
}

/// What the usual level of an hour is measured on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Baseline {
    /// The same hour in past weeks: the usual level is their average count.
    Weeks(Vec<Window>),
    /// Less than a week of history: the hourly average over this window.
    Recent(Window),
    /// Under an hour of history: no usual level (counted as none).
    Nothing,
}

impl Baseline {
    /// The usual level from the counts of the windows (one per week, or
    /// the recent window's one count).
    pub fn usual(&self, counts: &[u64]) -> f64 {
        match self {
            Baseline::Weeks(_) => SpikeRule::usual(counts),
            Baseline::Recent(w) => {
                let hours = (w.to_ms - w.from_ms) as f64 / HOUR_MS as f64;
                counts.iter().sum::<u64>() as f64 / hours
            }
            Baseline::Nothing => 0.0,
        }
    }

    /// The windows to count.
    pub fn windows(&self) -> &[Window] {
        match self {
            Baseline::Weeks(w) => w,
            Baseline::Recent(w) => std::slice::from_ref(w),
            Baseline::Nothing => &[],
        }
    }
}

/// A time range `[from_ms, to_ms)` in Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from_ms: i64,
    pub to_ms: i64,
}

/// What a check does about one place or tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A new spike: record it and alert, once.
    Begin,
    /// Still spiking: keep the record up to date, alert nobody again.
    Continue,
    /// Fallen below the threshold: the spike is over.
    End,
    /// Nothing going on.
    Quiet,
}

/// The step for a subject with (`open`) or without a spike on record.
pub fn step(open: bool, spiking: bool) -> Step {
    match (open, spiking) {
        (false, true) => Step::Begin,
        (true, true) => Step::Continue,
        (true, false) => Step::End,
        (false, false) => Step::Quiet,
    }
}

/// Whether a spike is about a place or a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Facet {
    Place,
    Tag,
}

impl Facet {
    pub fn as_str(self) -> &'static str {
        match self {
            Facet::Place => "place",
            Facet::Tag => "tag",
        }
    }

    pub fn parse(s: &str) -> Option<Facet> {
        match s {
            "place" => Some(Facet::Place),
            "tag" => Some(Facet::Tag),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: SpikeRule = SpikeRule {
        factor: 3.0,
        min_posts: 10,
        baseline_weeks: 4,
    };

    #[test]
    fn a_spike_needs_both_the_minimum_and_the_factor() {
        // Usual 5: threshold 15.
        assert!(!RULE.is_spike(14, 5.0));
        assert!(RULE.is_spike(15, 5.0));
        // Usual 2: the minimum (10) decides, not 3 × 2.
        assert!(!RULE.is_spike(9, 2.0));
        assert!(RULE.is_spike(10, 2.0));
    }

    #[test]
    fn a_quiet_baseline_counts_as_one_post() {
        let rule = SpikeRule {
            min_posts: 2,
            ..RULE
        };
        // Usual 0 or 0.25: 3 × 1, so two posts are no spike, three are.
        assert!(!rule.is_spike(2, 0.0));
        assert!(!rule.is_spike(2, 0.25));
        assert!(rule.is_spike(3, 0.0));
        assert_eq!(RULE.threshold(0.0), 10.0);
    }

    #[test]
    fn the_usual_level_is_the_average_of_the_weeks() {
        assert_eq!(SpikeRule::usual(&[2, 4, 3, 3]), 3.0);
        assert_eq!(SpikeRule::usual(&[]), 0.0);
    }

    #[test]
    fn windows_are_the_same_hour_in_past_weeks_the_store_has() {
        let now = 100 * WEEK_MS;
        let (current, baseline) = RULE.baseline(now, Some(0));
        assert_eq!(
            current,
            Window {
                from_ms: now - HOUR_MS,
                to_ms: now
            }
        );
        let past = baseline.windows();
        assert_eq!(past.len(), 4);
        assert_eq!(past[0].to_ms, now - WEEK_MS);
        assert_eq!(past[3].from_ms, now - HOUR_MS - 4 * WEEK_MS);
        assert_eq!(baseline.usual(&[2, 4, 3, 3]), 3.0);
        // A store two and a half weeks old averages two weeks.
        let (_, baseline) = RULE.baseline(now, Some(now - 5 * WEEK_MS / 2));
        assert_eq!(baseline.windows().len(), 2);
        // An empty store has no baseline.
        assert_eq!(RULE.baseline(now, None).1, Baseline::Nothing);
    }

    #[test]
    fn a_store_under_a_week_old_uses_its_hourly_average() {
        let now = 100 * WEEK_MS;
        // Five hours of history: the four before the last hour.
        let (_, baseline) = RULE.baseline(now, Some(now - 5 * HOUR_MS));
        assert_eq!(
            baseline,
            Baseline::Recent(Window {
                from_ms: now - 5 * HOUR_MS,
                to_ms: now - HOUR_MS
            })
        );
        // 400 posts in those four hours: usually 100 an hour, so 120 is no spike.
        let usual = baseline.usual(&[400]);
        assert_eq!(usual, 100.0);
        assert!(!RULE.is_spike(120, usual));
        // Under an hour of history before the last hour: nothing to go on.
        assert_eq!(
            RULE.baseline(now, Some(now - 90 * 60_000)).1,
            Baseline::Nothing
        );
    }

    #[test]
    fn one_alert_per_spike_until_it_ends() {
        let counts = [3, 12, 20, 15, 9, 4, 11];
        let mut open = false;
        let mut steps = Vec::new();
        for c in counts {
            let s = step(open, RULE.is_spike(c, 3.0));
            open = matches!(s, Step::Begin | Step::Continue);
            steps.push(s);
        }
        use Step::*;
        // Threshold 10 (3 × 3 is under the minimum): 9 ends the spike, 11 starts another.
        assert_eq!(steps, [Quiet, Begin, Continue, Continue, End, Quiet, Begin]);
        assert_eq!(steps.iter().filter(|s| **s == Begin).count(), 2);
    }

    #[test]
    fn facets_round_trip() {
        for f in [Facet::Place, Facet::Tag] {
            assert_eq!(Facet::parse(f.as_str()), Some(f));
        }
    }
}
