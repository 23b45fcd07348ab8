//! Recent search on the simulator: paging, fields, windows, errors, limits.

use serde_json::{Value, json};

use crate::helpers::{TestSim, encode, param};
use placewatch::sim::{Limit, LimitSettings, SimOptions};

async fn all_pages(sim: &TestSim, query: &str, token_param: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let mut path = format!(
            "/2/tweets/search/recent?query={}&max_results=100",
            encode(query)
        );
        if let Some(t) = &token {
            path.push_str(&format!("&{token_param}={t}"));
        }
        let r = sim.app_get(&path).await;
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        pages += 1;
        let data = body["data"].as_array().cloned().unwrap_or_default();
        assert!(data.len() <= 100);
        assert_eq!(body["meta"]["result_count"], data.len());
        if let Some(first) = data.first() {
            assert_eq!(body["meta"]["newest_id"], first["id"]);
            assert_eq!(body["meta"]["oldest_id"], data.last().unwrap()["id"]);
        }
        ids.extend(data.iter().map(|t| t["id"].as_str().unwrap().to_string()));
        match body["meta"]["next_token"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    (ids, pages)
}

#[tokio::test]
async fn search_paginates_to_the_end_and_equals_ground_truth() {
    let sim = TestSim::start().await;
    let query = "Croydon OR \"Thornton Heath\" -is:retweet";
    let (ids, pages) = all_pages(&sim, query, "next_token").await;
    assert!(pages > 1, "expected several pages, got {pages}");
    let numeric: Vec<u64> = ids.iter().map(|i| i.parse().unwrap()).collect();
    assert!(
        numeric.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats"
    );
    let truth: Vec<String> = sim.truth(query).await.iter().map(u64::to_string).collect();
    assert_eq!(ids, truth);
    let (again, _) = all_pages(&sim, query, "pagination_token").await;
    assert_eq!(again, ids, "pagination_token is an alias of next_token");
    let stats = sim.stats().await;
    assert_eq!(
        stats["posts_served_twice"],
        ids.len(),
        "the second walk re-read every post"
    );
}

/// The ids of one page of `path`, and its `meta`.
async fn page_ids(sim: &TestSim, path: &str, user: bool) -> (Vec<u64>, Value) {
    let r = if user {
        sim.user_get(path).await
    } else {
        sim.app_get(path).await
    };
    assert_eq!(r.status(), 200, "{path}");
    let body: Value = r.json().await.unwrap();
    let ids = body["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|t| t["id"].as_str().unwrap().parse().unwrap())
        .collect();
    (ids, body["meta"].clone())
}

#[tokio::test]
async fn until_id_returns_only_older_posts_in_search_and_timelines() {
    let sim = TestSim::start().await;
    let query = "Croydon OR \"Thornton Heath\" -is:retweet";
    let truth = sim.truth(query).await;
    assert!(truth.len() > 41, "{}", truth.len());
    // Exclusive: everything older than the 10th newest, in order, nothing else.
    let until = truth[9];
    let search = format!(
        "/2/tweets/search/recent?query={}&max_results=100&until_id={until}",
        encode(query)
    );
    let (ids, _) = page_ids(&sim, &search, false).await;
    let expected: Vec<u64> = truth[10..].iter().copied().take(100).collect();
    assert_eq!(ids, expected);
    // With since_id and a page token, until_id still bounds every page.
    let since = truth[40];
    let paged = format!(
        "/2/tweets/search/recent?query={}&max_results=10&since_id={since}&until_id={until}",
        encode(query)
    );
    let (first, meta) = page_ids(&sim, &paged, false).await;
    assert_eq!(first, truth[10..20]);
    let token = meta["next_token"].as_str().unwrap();
    let (second, _) = page_ids(&sim, &format!("{paged}&next_token={token}"), false).await;
    assert_eq!(second, truth[20..30]);

    // The mentions timeline takes until_id the same way.
    let council = sim.creds().council.id.clone();
    let mentions = format!("/2/users/{council}/mentions?max_results=100");
    let (all, _) = page_ids(&sim, &mentions, true).await;
    assert!(all.len() > 3, "{}", all.len());
    let (older, _) = page_ids(&sim, &format!("{mentions}&until_id={}", all[2]), true).await;
    assert_eq!(older, all[3..]);
    let requests = sim.requests().await;
    let last = requests.last().unwrap();
    assert_eq!(last["path"], format!("/2/users/{council}/mentions"));
    assert_eq!(param(last, "until_id"), Some(all[2].to_string().as_str()));
}

/// X's keyword search is tokenised, so a keyword finds its own hashtag; the
/// `#` operator matches a hashtag entity whole, ignoring case; a phrase
/// does not find the joined hashtag of its words. Search and ground truth
/// agree.
#[tokio::test]
async fn a_keyword_finds_its_hashtag_and_a_hashtag_only_the_whole_tag() {
    let sim = TestSim::start().await;
    let ids = sim
        .inject(json!([
            {"text": "#Quokkaville is lovely tonight", "author": "resident_a"},
            {"text": "pond frozen over at #wombatheath", "author": "resident_b"},
            {"text": "sunset over #QuokkavillePark", "author": "resident_c"},
            {"text": "Wombat Heath library reopens", "author": "resident_d"},
        ]))
        .await;
    let id = |i: usize| ids[i].parse::<u64>().unwrap();
    let since = id(0) - 1;
    for (query, expected) in [
        ("Quokkaville", vec![id(0)]),
        ("#quokkaville", vec![id(0)]),
        ("#WombatHeath", vec![id(1)]),
        ("\"Wombat Heath\"", vec![id(3)]),
        (
            "(\"Wombat Heath\" OR #WombatHeath) -is:retweet",
            vec![id(3), id(1)],
        ),
    ] {
        let path = format!(
            "/2/tweets/search/recent?query={}&since_id={since}&max_results=100",
            encode(query)
        );
        let (found, _) = page_ids(&sim, &path, false).await;
        assert_eq!(found, expected, "{query}");
        assert_eq!(sim.truth(query).await, expected, "ground truth of {query}");
    }
}

#[tokio::test]
async fn empty_result_is_meta_only() {
    let sim = TestSim::start().await;
    let r = sim.app_get("/2/tweets/search/recent?query=zzzzqqqq").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), r#"{"meta":{"result_count":0}}"#);
}

#[tokio::test]
async fn only_requested_fields_are_returned() {
    let sim = TestSim::start().await;
    let body: Value = sim
        .app_get("/2/tweets/search/recent?query=Croydon")
        .await
        .json()
        .await
        .unwrap();
    let tweet = body["data"][0].as_object().unwrap();
    let mut keys: Vec<&str> = tweet.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["edit_history_tweet_ids", "id", "text"]);
    assert!(body.get("includes").is_none());

    let body: Value = sim
        .app_get("/2/tweets/search/recent?query=Croydon&tweet.fields=author_id,created_at,conversation_id,lang&expansions=author_id&user.fields=username,name,created_at")
        .await
        .json()
        .await
        .unwrap();
    let tweet = &body["data"][0];
    assert!(tweet["created_at"].as_str().unwrap().ends_with(".000Z"));
    let author = tweet["author_id"].as_str().unwrap();
    let users = body["includes"]["users"].as_array().unwrap();
    assert!(
        users
            .iter()
            .any(|u| u["id"] == author && u["created_at"].is_string())
    );
}

#[tokio::test]
async fn retweets_and_posts_older_than_seven_days_are_not_returned() {
    let sim = TestSim::start().await;
    let old = time::OffsetDateTime::now_utc() - time::Duration::days(8);
    let old = old
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let ids = sim
        .inject(json!([
            {"text": "Quokkaville pothole on the high street", "author": "resident_a", "created_at": old},
            {"text": "Quokkaville bins not collected again", "author": "resident_b", "created_at": "2026-01-01T00:00:00Z"},
        ]))
        .await;
    let fresh = sim
        .inject(json!({"text": "Quokkaville library is lovely", "author": "resident_c"}))
        .await;
    sim.inject(json!({"text": "RT @resident_c: Quokkaville library is lovely", "author": "resident_d", "retweet_of": fresh[0]}))
        .await;
    let body: Value = sim
        .app_get(&format!(
            "/2/tweets/search/recent?query=Quokkaville&since_id={}",
            ids[0]
        ))
        .await
        .json()
        .await
        .unwrap();
    let got: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        [fresh[0].as_str()],
        "neither the old posts nor the retweet"
    );
}

#[tokio::test]
async fn invalid_parameters_get_x_invalid_request_bodies() {
    let sim = TestSim::start().await;
    for (path, param) in [
        (
            "/2/tweets/search/recent?query=Croydon&max_results=5",
            "max_results",
        ),
        (
            "/2/tweets/search/recent?query=Croydon&max_results=101",
            "max_results",
        ),
        (
            "/2/tweets/search/recent?query=Croydon&since_id=abc",
            "since_id",
        ),
        ("/2/tweets/search/recent?query=Croydon&colour=red", "colour"),
        (
            "/2/tweets/search/recent?query=Croydon&tweet.fields=shoe_size",
            "tweet.fields",
        ),
        ("/2/tweets/search/recent?query=(Croydon", "query"),
        (
            "/2/tweets/search/recent?query=Croydon%20nonsense:op",
            "query",
        ),
        ("/2/tweets/search/recent?query=is:retweet", "query"),
        (
            "/2/tweets/search/recent?query=Croydon&next_token=garbage",
            "next_token",
        ),
    ] {
        let r = sim.app_get(path).await;
        assert_eq!(r.status(), 400, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(
            body["type"], "https://api.twitter.com/2/problems/invalid-request",
            "{path}"
        );
        assert_eq!(body["title"], "Invalid Request");
        assert!(
            body["errors"][0]["parameters"][param].is_array(),
            "{path}: {body}"
        );
        assert!(!body["errors"][0]["message"].as_str().unwrap().is_empty());
    }
    let long = "Croydon ".repeat(70);
    let r = sim
        .app_get(&format!("/2/tweets/search/recent?query={}", encode(&long)))
        .await;
    assert_eq!(r.status(), 400, "a query over 512 characters");
}

#[tokio::test]
async fn requests_without_a_valid_token_are_unauthorized() {
    let sim = TestSim::start().await;
    let r = sim
        .http
        .get(sim.url("/2/tweets/search/recent?query=Croydon"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = sim
        .http
        .get(sim.url("/2/tweets/search/recent?query=Croydon"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["title"], "Unauthorized");
}

#[tokio::test]
async fn rate_limit_headers_count_down_and_429_when_spent() {
    let sim = TestSim::start_with(SimOptions {
        rate_per_min: 0.0,
        backlog_days: 1,
        backlog_per_day: 50,
        limits: LimitSettings {
            search: Limit {
                per_app: Some(3),
                per_user: Some(2),
            },
            ..LimitSettings::default()
        },
        ..SimOptions::default()
    })
    .await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let r = sim.app_get("/2/tweets/search/recent?query=Croydon").await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-rate-limit-limit"], "3");
        remaining.push(
            r.headers()["x-rate-limit-remaining"]
                .to_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let r = sim.app_get("/2/tweets/search/recent?query=Croydon").await;
    assert_eq!(r.status(), 429);
    let reset: i64 = r.headers()["x-rate-limit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(reset > time::OffsetDateTime::now_utc().unix_timestamp());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["title"], "Too Many Requests");
    // The user token has its own window.
    let r = sim.user_get("/2/tweets/search/recent?query=Croydon").await;
    assert_eq!(r.headers()["x-rate-limit-limit"], "2");
}

#[tokio::test]
async fn legacy_429_body_and_usage_cap_and_credits() {
    let sim = TestSim::start().await;
    let settings = |limits: LimitSettings| json!({ "limits": limits });
    sim.control(
        "/_sim/settings",
        settings(LimitSettings {
            search: Limit {
                per_app: Some(0),
                per_user: Some(0),
            },
            legacy_429_body: true,
            ..LimitSettings::default()
        }),
    )
    .await;
    let r = sim.app_get("/2/tweets/search/recent?query=Croydon").await;
    assert_eq!(r.status(), 429);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], 88);

    sim.control(
        "/_sim/settings",
        settings(LimitSettings {
            monthly_post_reads: 10,
            ..LimitSettings::default()
        }),
    )
    .await;
    let r = sim
        .app_get("/2/tweets/search/recent?query=Croydon&max_results=10")
        .await;
    assert_eq!(r.status(), 200);
    let r = sim.app_get("/2/tweets/search/recent?query=Croydon").await;
    assert_eq!(r.status(), 429);
    assert_ne!(
        r.headers()["x-rate-limit-remaining"],
        "0",
        "a cap leaves the window healthy"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["title"], "UsageCapExceeded");
    assert_eq!(body["period"], "Monthly");

    sim.control(
        "/_sim/settings",
        settings(LimitSettings {
            credits_usd: Some(0.0),
            ..LimitSettings::default()
        }),
    )
    .await;
    let r = sim.app_get("/2/tweets/search/recent?query=Croydon").await;
    assert_eq!(r.status(), 402);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["title"], "CreditsDepleted");
}

#[tokio::test]
async fn injected_faults_behave_as_asked() {
    let sim = TestSim::start().await;
    let path = "/2/tweets/search/recent?query=Croydon";
    sim.control(
        "/_sim/faults",
        json!({"kind": "error", "status": 503, "count": 1}),
    )
    .await;
    assert_eq!(sim.app_get(path).await.status(), 503);
    assert_eq!(sim.app_get(path).await.status(), 200, "count 1 means once");

    sim.control(
        "/_sim/faults",
        json!({"kind": "rate_limit", "reset_secs": 120, "count": 1}),
    )
    .await;
    let r = sim.app_get(path).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["x-rate-limit-remaining"], "0");

    sim.control("/_sim/faults", json!({"kind": "malformed", "count": 1}))
        .await;
    let r = sim.app_get(path).await;
    assert!(r.json::<Value>().await.is_err());

    // A truncated body and a dropped connection both end the exchange early:
    // the client sees an error either while reading the head or the body.
    for kind in ["truncated", "drop"] {
        sim.control("/_sim/faults", json!({"kind": kind, "count": 1}))
            .await;
        let sent = sim
            .http
            .get(sim.url(path))
            .bearer_auth(&sim.creds().bearer_token)
            .send()
            .await;
        match sent {
            Err(e) => assert!(e.is_request() || e.is_body(), "{kind}: {e}"),
            Ok(r) => assert!(r.bytes().await.is_err(), "{kind}: the body ends early"),
        }
    }
    assert_eq!(sim.app_get(path).await.status(), 200);
    assert_eq!(sim.stats().await["faults_injected"], 5);
}
