//! The X client against the simulator: paging, typed errors, retries, headers.

use futures::TryStreamExt;
use placewatch::sim::{Limit, LimitSettings};
use placewatch::x::XError;
use placewatch::x::client::{Client, RetryPolicy, SearchRequest, TimelineRequest, UserAuth};
use placewatch::x::error::ReplyRefusal;
use placewatch::x::ratelimit::LimitKind;
use placewatch::x::wire::{CreateTweetRequest, ReplyTo};
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::TestSim;

fn client(sim: &TestSim) -> Client {
    Client::builder(
        sim.server.base_url().parse().unwrap(),
        SecretString::from(sim.creds().bearer_token.clone()),
    )
    .user(UserAuth::Static(SecretString::from(
        sim.creds().user_access_token.clone(),
    )))
    .retry(RetryPolicy {
        attempts: 3,
        base: std::time::Duration::from_millis(5),
        cap: std::time::Duration::from_millis(20),
    })
    .build()
    .unwrap()
}

fn reply(to: &str, text: &str) -> CreateTweetRequest {
    CreateTweetRequest {
        text: Some(text.into()),
        reply: Some(ReplyTo {
            in_reply_to_tweet_id: to.into(),
            ..ReplyTo::default()
        }),
        ..CreateTweetRequest::default()
    }
}

#[tokio::test]
async fn search_pages_follow_next_token_to_the_ground_truth() {
    let sim = TestSim::start().await;
    let x = client(&sim);
    let query = "Croydon -is:retweet";
    let pages: Vec<_> = x
        .search_pages(SearchRequest {
            query: query.into(),
            ..SearchRequest::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert!(pages.len() > 1);
    let ids: Vec<String> = pages
        .iter()
        .flat_map(|p| p.posts.iter().map(|t| t.id.to_string()))
        .collect();
    let truth: Vec<String> = sim.truth(query).await.iter().map(u64::to_string).collect();
    assert_eq!(ids, truth);
    let first = &pages[0];
    assert!(
        first.limits.window.is_some(),
        "rate-limit headers come with every page"
    );
    assert!(
        first
            .posts
            .iter()
            .all(|p| p.author_id.is_some() && p.created_at.is_some())
    );
    assert!(!first.authors.is_empty());
}

#[tokio::test]
async fn own_timeline_mentions_and_me() {
    let sim = TestSim::start().await;
    let x = client(&sim);
    let me = x.users_me().await.unwrap();
    assert_eq!(me.username, "yourcroydon");
    sim.inject(json!({"text": "@yourcroydon lamp post down on Zebedee Road", "author": "res_q"}))
        .await;
    let page = x
        .user_mentions(me.id, &TimelineRequest::default())
        .await
        .unwrap();
    assert!(
        page.posts[0]
            .mentions
            .iter()
            .any(|m| m.eq_ignore_ascii_case("yourcroydon"))
    );
    let page = x
        .user_posts(
            me.id,
            &TimelineRequest {
                exclude_replies: true,
                ..TimelineRequest::default()
            },
        )
        .await
        .unwrap();
    assert!(page.posts.iter().all(|p| p.replied_to.is_none()));
}

#[tokio::test]
async fn reply_errors_are_typed() {
    let sim = TestSim::start().await;
    let x = client(&sim);
    let ids = sim
        .inject(json!([
            {"text": "@yourcroydon the bins again", "author": "res_1"},
            {"text": "Croydon is a dump", "author": "res_2"},
            {"text": "@yourcroydon only mentioned may reply", "author": "res_3", "reply_settings": "mentionedUsers"},
        ]))
        .await;
    let created = x
        .create_post(&reply(&ids[0], "Sorry, we're on it."))
        .await
        .unwrap();
    assert!(created.id > 0);
    assert!(
        created.limits.user_day.is_some() && created.limits.app_day.is_some(),
        "24-hour headers on POST"
    );
    assert!(matches!(
        x.create_post(&reply(&ids[0], "Sorry, we're on it.")).await,
        Err(XError::DuplicateContent { .. })
    ));
    assert!(matches!(
        x.create_post(&reply(&ids[1], "Sorry to hear that.")).await,
        Err(XError::ReplyNotAllowed {
            reason: ReplyRefusal::NotSummoned,
            ..
        })
    ));
    assert!(matches!(
        x.create_post(&reply(&ids[0], &"a".repeat(300))).await,
        Err(XError::TextTooLong { .. })
    ));
    sim.control("/_sim/settings", json!({"enterprise": true}))
        .await;
    sim.inject(
        json!({"text": "not mentioning anyone", "author": "res_4", "reply_settings": "following"}),
    )
    .await;
    let controlled = sim.inject(json!({"text": "people I follow only", "author": "res_5", "reply_settings": "following"})).await;
    assert!(matches!(
        x.create_post(&reply(&controlled[0], "Hello")).await,
        Err(XError::ReplyNotAllowed {
            reason: ReplyRefusal::ConversationControls,
            ..
        })
    ));
    let _ = ids[2].clone();
    let app_only = Client::builder(
        sim.server.base_url().parse().unwrap(),
        SecretString::from(sim.creds().bearer_token.clone()),
    )
    .build()
    .unwrap();
    assert!(matches!(
        app_only.create_post(&reply(&ids[0], "x")).await,
        Err(XError::Auth(_))
    ));
}

#[tokio::test]
async fn limits_caps_credits_and_auth_errors_are_typed() {
    let sim = TestSim::start().await;
    let x = client(&sim);
    let search = SearchRequest {
        query: "Croydon".into(),
        ..SearchRequest::default()
    };
    let limits = |l: LimitSettings| json!({ "limits": l });

    sim.control(
        "/_sim/settings",
        limits(LimitSettings {
            search: Limit {
                per_app: Some(0),
                per_user: Some(0),
            },
            ..LimitSettings::default()
        }),
    )
    .await;
    match x.search_recent(&search).await {
        Err(XError::RateLimited { kind, reset_at, .. }) => {
            assert_eq!(kind, LimitKind::FifteenMinutes);
            assert!(reset_at.unwrap() > time::OffsetDateTime::now_utc().unix_timestamp());
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
    sim.control(
        "/_sim/settings",
        limits(LimitSettings {
            search: Limit {
                per_app: Some(0),
                per_user: Some(0),
            },
            legacy_429_body: true,
            ..LimitSettings::default()
        }),
    )
    .await;
    assert!(
        matches!(
            x.search_recent(&search).await,
            Err(XError::RateLimited { .. })
        ),
        "the v1.1 429 body too"
    );

    sim.control(
        "/_sim/settings",
        limits(LimitSettings {
            create_post_user_day: 1,
            ..LimitSettings::default()
        }),
    )
    .await;
    x.create_post(&CreateTweetRequest {
        text: Some("one".into()),
        ..CreateTweetRequest::default()
    })
    .await
    .unwrap();
    match x
        .create_post(&CreateTweetRequest {
            text: Some("two".into()),
            ..CreateTweetRequest::default()
        })
        .await
    {
        Err(XError::RateLimited { kind, .. }) => assert_eq!(kind, LimitKind::Day),
        other => panic!("expected the 24-hour limit, got {other:?}"),
    }

    sim.control(
        "/_sim/settings",
        limits(LimitSettings {
            monthly_post_reads: 0,
            ..LimitSettings::default()
        }),
    )
    .await;
    assert!(matches!(
        x.search_recent(&search).await,
        Err(XError::UsageCapExceeded { .. })
    ));
    sim.control(
        "/_sim/settings",
        limits(LimitSettings {
            credits_usd: Some(0.0),
            ..LimitSettings::default()
        }),
    )
    .await;
    assert!(matches!(
        x.search_recent(&search).await,
        Err(XError::CreditsDepleted { .. })
    ));
    sim.control("/_sim/settings", limits(LimitSettings::default()))
        .await;

    let bad = Client::builder(
        sim.server.base_url().parse().unwrap(),
        SecretString::from("nope".to_string()),
    )
    .build()
    .unwrap();
    assert!(matches!(
        bad.search_recent(&search).await,
        Err(XError::Unauthorized { .. })
    ));
    let invalid = SearchRequest {
        query: "(Croydon".into(),
        ..SearchRequest::default()
    };
    assert!(matches!(
        x.search_recent(&invalid).await,
        Err(XError::InvalidRequest { .. })
    ));
    let page = x.user_posts(42, &TimelineRequest::default()).await.unwrap();
    assert_eq!(
        page.errors[0].title, "Not Found Error",
        "partial errors in a 200 are surfaced"
    );
}

#[tokio::test]
async fn gets_retry_transient_failures_and_give_up_after_the_cap() {
    let sim = TestSim::start().await;
    let x = client(&sim);
    let search = SearchRequest {
        query: "Croydon".into(),
        ..SearchRequest::default()
    };
    sim.control(
        "/_sim/faults",
        json!({"kind": "error", "status": 503, "count": 2}),
    )
    .await;
    assert!(
        x.search_recent(&search).await.is_ok(),
        "two 503s then success"
    );
    sim.control(
        "/_sim/faults",
        json!({"kind": "error", "status": 500, "count": 3}),
    )
    .await;
    assert!(matches!(
        x.search_recent(&search).await,
        Err(XError::Server { status: 500, .. })
    ));
    sim.control("/_sim/faults", json!({"kind": "drop", "count": 3}))
        .await;
    assert!(matches!(
        x.search_recent(&search).await,
        Err(XError::Transport(_))
    ));
    sim.control("/_sim/faults", json!({"kind": "malformed", "count": 3}))
        .await;
    assert!(matches!(
        x.search_recent(&search).await,
        Err(XError::Decode { .. })
    ));
    sim.control("/_sim/faults", json!({"kind": "truncated", "count": 2}))
        .await;
    let r = x.search_recent(&search).await;
    assert!(r.is_ok(), "truncated bodies are retried: {r:?}");

    // A POST is never retried blindly.
    sim.control(
        "/_sim/faults",
        json!({"kind": "error", "status": 503, "count": 1, "route": "/2/tweets"}),
    )
    .await;
    let r = x
        .create_post(&CreateTweetRequest {
            text: Some("once".into()),
            ..CreateTweetRequest::default()
        })
        .await;
    assert!(matches!(r, Err(XError::Server { status: 503, .. })));
    let stats = sim.stats().await;
    assert_eq!(stats["requests"]["POST /2/tweets 503"], 1, "{stats}");
}
