//! Poller economy: requests per poll cycle against the lower bound.
//!
//! The reference Croydon config (its 34 place names, exclusions, `lang:en`)
//! runs against an in-process simulator with a 6-day backlog: one backfill
//! cycle, then incremental cycles after injected posts of varying volume (some
//! cycles need one page per query, some several). Around each cycle the
//! simulator's request counters (`/_sim/stats`) give the requests the poller
//! made.
//!
//! Lower bound of a cycle: for every packed query, max(1, ceil(n / 100)) where
//! n is the number of new posts it matches (`/_sim/truth?query=…&since_id=…`
//! with the query's cursor before the cycle), plus the mentions timeline the
//! same way (n from the truth of `@council`). The ratio requests / bound must
//! be 1.00. The alternative, one query per place name with the same suffix,
//! is bounded the same way per place; the factor saved is its bound over the
//! requests made.
//!
//! It also reports what `/_sim/stats` says about posts served twice: a post
//! naming places of two different packed queries ("Thornton Heath, Croydon")
//! is returned by both, and the bound above counts it in both, as the requests
//! do. The words of place names another one covers ("East Croydon" always
//! names "Croydon") are not searched at all (`domain::query::pack`), and their
//! hashtag forms (`#EastCroydon`) go in the query of the name that covers
//! them, so they add no such reads.
//!
//! Run: `cargo bench --bench poller_economy`. Loopback only; a few seconds.

mod common;

use std::time::Instant;

use placewatch::domain::query::{PackSpec, pack};
use placewatch::poller::plan::Source;
use placewatch::store::Store;
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Posts per search page (placewatch asks for `max_results=100`).
const PAGE: u64 = 100;

/// Days × posts per day of simulator backlog (inside the 7-day backfill, so
/// the window's edge does not blur the bound).
const BACKLOG_DAYS: u32 = 6;
const BACKLOG_PER_DAY: u32 = 3_000;

/// The posts injected before one incremental cycle.
struct Injection {
    label: &'static str,
    /// Posts naming a place picked uniformly from all place names.
    spread: usize,
    /// Posts naming places of the first packed query only.
    focused: usize,
    /// Posts mentioning the council (read from its mentions timeline).
    mentions: usize,
    /// Posts naming no place, and posts with an excluded false friend.
    noise: usize,
}

const CYCLES: &[Injection] = &[
    Injection {
        label: "trickle",
        spread: 4,
        focused: 0,
        mentions: 1,
        noise: 2,
    },
    Injection {
        label: "quiet",
        spread: 0,
        focused: 0,
        mentions: 0,
        noise: 0,
    },
    Injection {
        label: "burst on one query",
        spread: 0,
        focused: 180,
        mentions: 0,
        noise: 5,
    },
    Injection {
        label: "busy",
        spread: 90,
        focused: 0,
        mentions: 20,
        noise: 15,
    },
    Injection {
        label: "storm",
        spread: 480,
        focused: 0,
        mentions: 130,
        noise: 40,
    },
    Injection {
        label: "exactly one page",
        spread: 0,
        focused: 100,
        mentions: 100,
        noise: 0,
    },
    Injection {
        label: "one post",
        spread: 1,
        focused: 0,
        mentions: 0,
        noise: 0,
    },
];

const TEMPLATES: &[&str] = &[
    "Litter all down {p} again, who is meant to clear this up?",
    "Lovely morning walk through {p} today",
    "Tram stuck outside {p} for twenty minutes, again",
    "Anyone lost a black cardigan near {p}? Handed it in at the library",
    "The potholes on the way into {p} are getting worse every week",
    "Fly-tipping behind the shops in {p}, mattress and two fridges",
    "{p} market was great this morning, get down there",
];
const MENTION: &str = "@{h} bins not collected in {p} this week, can someone look?";
const NOISE: &[&str] = &[
    "Just made a cup of tea and watched the rain",
    "Croydon Park in Sydney looks great, wish I was back in Australia",
    "Happy Valley racing tonight in Hong Kong",
];

/// xorshift64*: deterministic choices, no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

fn pages_needed(matches: u64) -> u64 {
    matches.div_ceil(PAGE).max(1)
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    // The sim needs the config's places and the config needs the sim's
    // address: load the reference once for the places, then point it at the sim.
    let (_, reference) = common::reference_config("http://127.0.0.1:1", dir.path());
    let sim = common::start_sim(&reference, BACKLOG_DAYS, BACKLOG_PER_DAY).await;
    let base = sim.base_url();
    let (_, config) = common::reference_config(&base, dir.path());
    let store = Store::open(&dir.path().join("placewatch.db"))
        .await
        .expect("store opens");
    let poller = common::poller(&sim, &config, store.clone());
    let http = reqwest::Client::new();
    let handle = sim.credentials.council.username.clone();

    let searches: Vec<_> = poller
        .monitors
        .iter()
        .filter(|m| matches!(m.source, Source::Search { .. }))
        .collect();
    println!(
        "simulator: {} posts of backlog; {} place names packed into {} search queries + the mentions timeline",
        sim.state.post_count(),
        config.monitor.places.len(),
        searches.len(),
    );
    for m in &poller.monitors {
        if let Source::Search { query } = &m.source {
            println!(
                "  {} places, {} chars: {query}",
                m.places.len(),
                query.chars().count()
            );
        }
    }

    // The alternative: each place name alone, with the same suffix, and the
    // packed monitor whose cursor stands for it.
    let mut singles = Vec::new();
    for (i, place) in config.monitor.places.iter().enumerate() {
        let spec = PackSpec {
            keywords: &config.monitor.places[i..=i],
            exclusions: &config.monitor.exclusions,
            languages: &config.monitor.languages,
            exclude_author: Some(&handle),
            exclude_mention: Some(&handle),
            max_len: config.x.query_max_len,
        };
        let query = pack(&spec).expect("a single place packs").remove(0).text;
        let monitor = poller
            .monitors
            .iter()
            .position(|m| m.places.contains(&place.to_string()))
            .expect("every place is in a packed query");
        singles.push((query, monitor));
    }
    let focus: Vec<String> = searches[0].places.clone();

    let never = CancellationToken::new();
    let mut rng = Rng(0x00EC_0A0A_u64);
    let mut serial = 0usize;
    // [backfill, incremental] totals of requests, bound and per-place bound.
    let mut totals = [[0u64; 3]; 2];
    let mut overlap = 0u64;
    println!(
        "{:<20} {:>6} {:>9} {:>8} {:>6} {:>12}",
        "cycle", "new", "requests", "bound", "ratio", "per-place"
    );
    for (c, injection) in std::iter::once(None)
        .chain(CYCLES.iter().map(Some))
        .enumerate()
    {
        if let Some(inj) = injection {
            let mut posts = Vec::new();
            let mut text = |template: &str, place: &str| {
                serial += 1;
                json!({
                    "text": format!("{} ({serial})", template.replace("{p}", place).replace("{h}", &handle)),
                    "author": format!("econ_res_{}", serial % 97),
                })
            };
            for _ in 0..inj.spread {
                let place =
                    config.monitor.places[rng.below(config.monitor.places.len())].to_string();
                posts.push(text(TEMPLATES[rng.below(TEMPLATES.len())], &place));
            }
            for _ in 0..inj.focused {
                let place = focus[rng.below(focus.len())].clone();
                posts.push(text(TEMPLATES[rng.below(TEMPLATES.len())], &place));
            }
            for _ in 0..inj.mentions {
                let place =
                    config.monitor.places[rng.below(config.monitor.places.len())].to_string();
                posts.push(text(MENTION, &place));
            }
            for _ in 0..inj.noise {
                posts.push(text(NOISE[rng.below(NOISE.len())], ""));
            }
            if !posts.is_empty() {
                let r = http
                    .post(format!("{base}/_sim/posts"))
                    .json(&json!({ "posts": posts }))
                    .send()
                    .await
                    .expect("inject");
                assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
            }
        }

        // The bound, from the ground truth and the cursors before the cycle.
        let mut since = Vec::new();
        let mut expected = Vec::new();
        let mut matched = std::collections::HashSet::new();
        let (mut bound, mut new_posts) = (0u64, 0u64);
        for m in &poller.monitors {
            let since_id = store
                .cursor(&m.key)
                .await
                .expect("cursor")
                .and_then(|c| c.since_id);
            let query = match &m.source {
                Source::Search { query } => query.clone(),
                Source::Mentions { .. } => format!("@{handle}"),
            };
            let ids = common::truth(&http, &base, &query, since_id).await;
            let n = ids.len() as u64;
            // Posts that another packed query (or the mentions) also matches.
            overlap += ids.iter().filter(|id| !matched.insert(**id)).count() as u64;
            new_posts += n;
            bound += pages_needed(n);
            since.push(since_id);
            expected.push(n);
        }
        let mut alt = 0u64;
        for (query, monitor) in &singles {
            let n = common::truth(&http, &base, query, since[*monitor])
                .await
                .len() as u64;
            alt += pages_needed(n);
        }
        // The mentions timeline is read the same way in both designs.
        let mentions = poller
            .monitors
            .iter()
            .position(|m| matches!(m.source, Source::Mentions { .. }))
            .expect("a mentions monitor");
        let mentions_query = format!("@{handle}");
        let n = common::truth(&http, &base, &mentions_query, since[mentions])
            .await
            .len() as u64;
        alt += pages_needed(n);

        let before = common::total_requests(&common::sim_stats(&http, &sim).await);
        for (m, n) in poller.monitors.iter().zip(&expected) {
            let outcome = poller.poll_once(m, &never).await.expect("poll cycle");
            if outcome.posts_read != *n {
                // The mentions timeline also returns retweets of the
                // council's posts ("RT @council: …"); /_sim/truth leaves
                // retweets out. Same pages either way unless it crosses a 100.
                println!(
                    "  note: {} read {} posts, the ground truth (no retweets) says {n}",
                    m.key, outcome.posts_read
                );
            }
        }
        let requests = common::total_requests(&common::sim_stats(&http, &sim).await) - before;
        let label = injection.map_or("backfill", |i| i.label);
        println!(
            "{:<20} {:>6} {:>9} {:>8} {:>6.2} {:>12}",
            format!("{c}: {label}"),
            new_posts,
            requests,
            bound,
            requests as f64 / bound as f64,
            alt
        );
        let t = &mut totals[usize::from(injection.is_some())];
        t[0] += requests;
        t[1] += bound;
        t[2] += alt;
    }

    let stats = common::sim_stats(&http, &sim).await;
    println!(
        "simulator: {} posts served, {} served twice to the app ({overlap} new posts matched more than one packed query), {} billable reads; {} posts stored; {:.1} s",
        stats["posts_served"],
        stats["posts_served_twice"],
        stats["billable_reads"],
        store.post_count().await.unwrap_or_default(),
        started.elapsed().as_secs_f64()
    );
    let [backfill, incremental] = totals;
    let all: Vec<u64> = (0..3).map(|i| backfill[i] + incremental[i]).collect();
    let ratio = |t: &[u64]| t[0] as f64 / t[1] as f64;
    let saved = |t: &[u64]| t[2] as f64 / t[0] as f64;
    println!(
        "backfill: {} requests, bound {}, ratio {:.2}, per-place bound {} ({:.2}x); incremental: {} requests over {} cycles, bound {}, ratio {:.2}, per-place bound {} ({:.1}x)",
        backfill[0],
        backfill[1],
        ratio(&backfill),
        backfill[2],
        saved(&backfill),
        incremental[0],
        CYCLES.len(),
        incremental[1],
        ratio(&incremental),
        incremental[2],
        saved(&incremental),
    );
    println!(
        "poller_economy: {} requests over {} cycles against a lower bound of {}: ratio {:.2} (target 1.00); one query per place name would need at least {}: {:.1}x saved ({:.1}x per incremental cycle)",
        all[0],
        CYCLES.len() + 1,
        all[1],
        ratio(&all),
        all[2],
        saved(&all),
        saved(&incremental),
    );
    store.close().await;
    sim.stop().await;
}
