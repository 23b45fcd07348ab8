//! Posts read twice because they name places of two packed queries, and
//! whether packing places that co-occur into the same query lowers it.
//!
//! A post such as "Thornton Heath, Croydon" matches every packed query that
//! holds one of its place names, and X serves it once per query (billing it
//! once a UTC day). The packer groups place names by query length alone
//! (`domain::query::pack`). The alternative measured here groups them by how
//! often they are named together: from the older half of the simulator's
//! backlog (the reference Croydon config, 6 days × 3,000 posts, the
//! generator's mix of phrasings), each pair of searched place names (each
//! with the hashtag forms of the names it covers, which the packer keeps in
//! its query) is weighted by the posts matching both; groups are merged greedily, heaviest
//! pair first, while the merged group still packs into one query; what is
//! left is merged first-fit into as few queries as fit. Both packings are then
//! scored on the newer half: the posts matched, the posts matched by more than
//! one query (read twice or more), and the extra reads as a share of the
//! posts matched.
//!
//! Run: `cargo bench --bench packing_overlap`. Loopback only; under a minute.

mod common;

use std::collections::{BTreeMap, HashSet};

use placewatch::domain::query::{Keyword, PackSpec, coverage, pack};
use placewatch::domain::triage::{Account, Council};
use placewatch::poller::plan::{Source, plan};

const BACKLOG_DAYS: u32 = 6;
const BACKLOG_PER_DAY: u32 = 3_000;

/// Every post id `query` matches (`/_sim/truth`).
async fn truth(http: &reqwest::Client, base: &str, query: &str) -> HashSet<u64> {
    common::truth(http, base, query, None)
        .await
        .into_iter()
        .collect()
}

/// Posts matched, posts matched by more than one query, and extra reads.
#[derive(Debug, Default)]
struct Overlap {
    queries: usize,
    posts: usize,
    read_twice: usize,
    extra_reads: usize,
}

impl Overlap {
    fn of(matches: &[HashSet<u64>], keep: impl Fn(u64) -> bool) -> Overlap {
        let mut times: BTreeMap<u64, usize> = BTreeMap::new();
        for ids in matches {
            for &id in ids.iter().filter(|&&id| keep(id)) {
                *times.entry(id).or_default() += 1;
            }
        }
        Overlap {
            queries: matches.len(),
            posts: times.len(),
            read_twice: times.values().filter(|&&n| n > 1).count(),
            extra_reads: times.values().map(|n| n - 1).sum(),
        }
    }

    fn line(&self, label: &str) -> String {
        format!(
            "{label:<24} {:>7} {:>7} {:>10} {:>11} {:>7.1}%",
            self.queries,
            self.posts,
            self.read_twice,
            self.extra_reads,
            self.extra_reads as f64 * 100.0 / self.posts.max(1) as f64
        )
    }
}

#[tokio::main]
async fn main() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, reference) = common::reference_config("http://127.0.0.1:1", dir.path());
    let sim = common::start_sim(&reference, BACKLOG_DAYS, BACKLOG_PER_DAY).await;
    let base = sim.base_url();
    let (_, config) = common::reference_config(&base, dir.path());
    let http = reqwest::Client::new();
    let creds = &sim.credentials;
    let council = Council::LoggedIn(Account {
        id: creds.council.id.parse().expect("numeric council id"),
        handle: creds.council.username.clone(),
    });
    let handle = council.handle().to_string();

    // The packer's queries, as the daemon plans them.
    let packed: Vec<String> = plan(&config, &council)
        .expect("the reference config plans")
        .into_iter()
        .filter_map(|m| match m.source {
            Source::Search { query } => Some(query),
            Source::Mentions { .. } => None,
        })
        .collect();
    let spec = |keywords: &[Keyword]| -> Option<String> {
        let spec = PackSpec {
            keywords,
            exclusions: &config.monitor.exclusions,
            languages: &config.monitor.languages,
            exclude_author: Some(&handle),
            exclude_mention: Some(&handle),
            max_len: config.x.query_max_len,
        };
        let mut queries = pack(&spec).ok()?;
        (queries.len() == 1).then(|| queries.remove(0).text)
    };
    // The place names searched (those another one covers are found through
    // it), each with the places it covers: their words are found through its
    // own, their hashtag forms (#EastCroydon) are searched beside it.
    let places = &config.monitor.places;
    let cover = coverage(places);
    let searched: Vec<Keyword> = (0..places.len())
        .filter(|&i| cover[i] == i)
        .map(|i| places[i].clone())
        .collect();
    let family: Vec<Vec<Keyword>> = (0..places.len())
        .filter(|&i| cover[i] == i)
        .map(|s| {
            (0..places.len())
                .filter(|&i| cover[i] == s)
                .map(|i| places[i].clone())
                .collect()
        })
        .collect();

    // Each searched place's own posts, to weigh pairs and split the backlog.
    let mut single = Vec::new();
    for f in &family {
        let query = spec(f).expect("a single place packs");
        single.push(truth(&http, &base, &query).await);
    }
    let mut ids: Vec<u64> = single.iter().flatten().copied().collect();
    ids.sort_unstable();
    ids.dedup();
    let split = ids[ids.len() / 2];
    let training = |id: u64| id <= split;
    let n = searched.len();
    let mut weight = vec![vec![0usize; n]; n];
    for i in 0..n {
        for j in i + 1..n {
            let both = single[i]
                .iter()
                .filter(|&&id| training(id) && single[j].contains(&id))
                .count();
            weight[i][j] = both;
            weight[j][i] = both;
        }
    }

    // Greedy: merge the heaviest pair of groups that still packs into one query.
    let keywords = |g: &[usize]| {
        g.iter()
            .flat_map(|&i| family[i].iter().cloned())
            .collect::<Vec<_>>()
    };
    let fits = |a: &[usize], b: &[usize]| {
        let merged: Vec<usize> = a.iter().chain(b).copied().collect();
        spec(&keywords(&merged)).is_some()
    };
    let mut groups: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    loop {
        let mut best: Option<(usize, usize, usize)> = None;
        for a in 0..groups.len() {
            for b in a + 1..groups.len() {
                let w: usize = groups[a]
                    .iter()
                    .flat_map(|&i| groups[b].iter().map(move |&j| (i, j)))
                    .map(|(i, j)| weight[i][j])
                    .sum();
                if w > 0 && best.is_none_or(|(_, _, bw)| w > bw) && fits(&groups[a], &groups[b]) {
                    best = Some((a, b, w));
                }
            }
        }
        let Some((a, b, _)) = best else { break };
        let merged = groups.remove(b);
        groups[a].extend(merged);
    }
    // Then as few queries as fit: first-fit, largest groups first.
    groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
    let mut bins: Vec<Vec<usize>> = Vec::new();
    for g in groups {
        match bins.iter_mut().find(|bin| fits(bin, &g)) {
            Some(bin) => bin.extend(g),
            None => bins.push(g),
        }
    }
    let co_occurring: Vec<String> = bins
        .iter()
        .map(|g| spec(&keywords(g)).expect("every bin packs"))
        .collect();

    let mut packed_matches = Vec::new();
    for q in &packed {
        packed_matches.push(truth(&http, &base, q).await);
    }
    let mut co_matches = Vec::new();
    for q in &co_occurring {
        co_matches.push(truth(&http, &base, q).await);
    }
    let test = |id: u64| id > split;

    println!(
        "simulator: {} posts; {} place names, {} searched (the others covered); training on posts up to id {split}, scored on the newer ones",
        sim.state.post_count(),
        config.monitor.places.len(),
        n
    );
    let heaviest = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .max_by_key(|&(i, j)| weight[i][j])
        .expect("at least two places");
    println!(
        "heaviest pair: {:?} + {:?}, {} posts in training",
        searched[heaviest.0].as_str(),
        searched[heaviest.1].as_str(),
        weight[heaviest.0][heaviest.1]
    );
    println!(
        "{:<24} {:>7} {:>7} {:>10} {:>11} {:>8}",
        "packing", "queries", "posts", "read twice", "extra reads", "share"
    );
    let by_length = Overlap::of(&packed_matches, test);
    let by_co_occurrence = Overlap::of(&co_matches, test);
    println!("{}", by_length.line("by length (shipped)"));
    println!("{}", by_co_occurrence.line("by co-occurrence"));
    for (label, queries) in [("by length", &packed), ("by co-occurrence", &co_occurring)] {
        for q in queries {
            println!("  {label}: {} chars: {q}", q.chars().count());
        }
    }
    println!(
        "packing_overlap: extra reads {:.1}% of posts matched packed by length, {:.1}% by co-occurrence ({} vs {} queries); {:.1} s",
        by_length.extra_reads as f64 * 100.0 / by_length.posts.max(1) as f64,
        by_co_occurrence.extra_reads as f64 * 100.0 / by_co_occurrence.posts.max(1) as f64,
        by_length.queries,
        by_co_occurrence.queries,
        started.elapsed().as_secs_f64()
    );
    sim.stop().await;
}
