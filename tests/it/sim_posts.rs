//! Creating posts and replies on the simulator, with X's 2026 restriction,
//! conversation controls, duplicate content and length checks; timelines.

use serde_json::{Value, json};

use crate::helpers::TestSim;
use placewatch::sim::SimOptions;

#[tokio::test]
async fn reply_to_a_post_that_mentions_the_council_is_created_and_visible() {
    let sim = TestSim::start().await;
    let target = sim
        .inject(json!({"text": "@yourcroydon the bins on Zebedee Road were missed again", "author": "resident_z"}))
        .await;
    let r = sim
        .post_as_council(json!({"text": "Sorry about that, we have told the crew.", "reply": {"in_reply_to_tweet_id": target[0]}}))
        .await;
    assert_eq!(r.status(), 201);
    assert!(r.headers().contains_key("x-app-limit-24hour-remaining"));
    assert!(r.headers().contains_key("x-user-limit-24hour-reset"));
    assert!(r.headers().contains_key("x-rate-limit-remaining"));
    let body: Value = r.json().await.unwrap();
    let id = body["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(body["data"]["edit_history_tweet_ids"][0], id.as_str());

    let council = &sim.creds().council.id;
    let timeline: Value = sim
        .user_get(&format!("/2/users/{council}/tweets?max_results=5&tweet.fields=referenced_tweets,in_reply_to_user_id,conversation_id"))
        .await
        .json()
        .await
        .unwrap();
    let newest = &timeline["data"][0];
    assert_eq!(newest["id"], id.as_str());
    assert_eq!(newest["referenced_tweets"][0]["type"], "replied_to");
    assert_eq!(newest["referenced_tweets"][0]["id"], target[0].as_str());
    assert_eq!(newest["conversation_id"], target[0].as_str());
    assert_eq!(sim.stats().await["replies_created"], 1);
}

#[tokio::test]
async fn replies_to_posts_that_did_not_summon_the_council_are_refused() {
    let sim = TestSim::start().await;
    let target = sim
        .inject(json!({"text": "Croydon is a dump", "author": "grumpy"}))
        .await;
    let r = sim
        .post_as_council(json!({"text": "We're sorry to hear that.", "reply": {"in_reply_to_tweet_id": target[0]}}))
        .await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["detail"],
        "You can only reply to or quote posts where you are mentioned or are the author."
    );
    assert_eq!(sim.stats().await["replies_created"], 0);

    // Replies to a reply to the council's own post are allowed.
    let own = sim
        .post_as_council(json!({"text": "Roadworks on Zebedee Road start Monday."}))
        .await
        .json::<Value>()
        .await
        .unwrap();
    let reply = sim
        .inject(json!({"text": "about time", "author": "grumpy", "in_reply_to": own["data"]["id"]}))
        .await;
    let r = sim
        .post_as_council(json!({"text": "Thanks for your patience.", "reply": {"in_reply_to_tweet_id": reply[0]}}))
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn enterprise_access_lifts_the_restriction_but_not_conversation_controls() {
    let sim = TestSim::start_with(SimOptions {
        enterprise: true,
        rate_per_min: 0.0,
        backlog_days: 0,
        ..SimOptions::default()
    })
    .await;
    let ids = sim
        .inject(json!([
            {"text": "Croydon is a dump", "author": "grumpy"},
            {"text": "Only mentioned people may reply about Croydon", "author": "private_p", "reply_settings": "mentionedUsers"},
        ]))
        .await;
    let r = sim
        .post_as_council(
            json!({"text": "Sorry to hear it.", "reply": {"in_reply_to_tweet_id": ids[0]}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = sim
        .post_as_council(json!({"text": "Hello.", "reply": {"in_reply_to_tweet_id": ids[1]}}))
        .await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("Reply to this conversation is not allowed")
    );
}

#[tokio::test]
async fn duplicate_too_long_app_only_and_unknown_keys_are_refused() {
    let sim = TestSim::start().await;
    assert_eq!(
        sim.post_as_council(json!({"text": "Library opens at 9."}))
            .await
            .status(),
        201
    );
    let r = sim
        .post_as_council(json!({"text": "Library opens at 9."}))
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["detail"],
        "You are not allowed to create a Tweet with duplicate content."
    );

    let r = sim.post_as_council(json!({"text": "a".repeat(281)})).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["message"],
        "Your Tweet text is too long."
    );
    // 140 CJK characters weigh 280: accepted.
    assert_eq!(
        sim.post_as_council(json!({"text": "克".repeat(140)}))
            .await
            .status(),
        201
    );

    let r = sim
        .post_as_council(json!({"text": "hi", "colour": "red"}))
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.json::<Value>().await.unwrap()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("$.colour")
    );

    let r = sim
        .http
        .post(sim.url("/2/tweets"))
        .bearer_auth(&sim.creds().bearer_token)
        .json(&json!({"text": "from the app"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["title"],
        "Unsupported Authentication"
    );
}

#[tokio::test]
async fn users_me_and_mentions_timeline() {
    let sim = TestSim::start().await;
    let me: Value = sim.user_get("/2/users/me").await.json().await.unwrap();
    assert_eq!(me["data"]["username"], "yourcroydon");
    assert_eq!(me["data"]["id"], sim.creds().council.id.as_str());
    assert_eq!(
        sim.app_get("/2/users/me").await.status(),
        403,
        "app-only cannot call users/me"
    );

    let ids = sim.inject(json!({"text": "hey @YourCroydon, street light out on Zebedee Road", "author": "resident_m"})).await;
    let council = &sim.creds().council.id;
    let r = sim
        .user_get(&format!(
            "/2/users/{council}/mentions?max_results=5&expansions=author_id"
        ))
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"][0]["id"], ids[0].as_str());
    assert_eq!(body["includes"]["users"][0]["username"], "resident_m");
    assert_eq!(
        sim.user_get(&format!("/2/users/{council}/mentions?max_results=4"))
            .await
            .status(),
        400
    );
    let missing: Value = sim
        .user_get("/2/users/42/tweets")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(missing["errors"][0]["title"], "Not Found Error");
    let stats = sim.stats().await;
    let app = stats["apps"].as_object().unwrap().values().next().unwrap();
    assert!(
        app["billable_owned_reads"].as_u64().unwrap() >= 1,
        "own timeline reads are owned reads"
    );
}
