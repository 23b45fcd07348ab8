//! OAuth 2.0 on the simulator: PKCE login through the consent page, public and
//! confidential clients, refresh with rotation, revocation, app-only tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::TestSim;

const REDIRECT: &str = "http://127.0.0.1:8765/callback";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Plays the browser: opens the consent page, approves, returns the code.
async fn authorize(sim: &TestSim, client_id: &str, verifier: &str) -> String {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let url = format!(
        "{}?response_type=code&client_id={client_id}&redirect_uri={}&scope=tweet.read%20tweet.write%20users.read%20offline.access&state=xyz123&code_challenge={challenge}&code_challenge_method=S256",
        sim.url("/i/oauth2/authorize"),
        crate::helpers::encode(REDIRECT),
    );
    let page = sim
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Authorize app") && page.contains("@yourcroydon"));
    let query = url.split_once('?').unwrap().1;
    let r = no_redirects()
        .post(sim.url("/i/oauth2/authorize/consent"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("{query}&decision=approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT));
    let pairs: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(pairs["state"], "xyz123");
    pairs["code"].clone()
}

async fn token(sim: &TestSim, form: &[(&str, &str)], basic: bool) -> reqwest::Response {
    let mut req = sim.http.post(sim.url("/2/oauth2/token")).form(form);
    if basic {
        req = req.basic_auth(&sim.creds().client_id, Some(&sim.creds().client_secret));
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn confidential_client_logs_in_with_pkce_and_refreshes_with_rotation() {
    let sim = TestSim::start().await;
    let verifier = "a-verifier-that-is-long-enough-to-be-valid-0123456789";
    let code = authorize(&sim, &sim.creds().client_id.clone(), verifier).await;
    let r = token(
        &sim,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
        true,
    )
    .await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["expires_in"], 7200);
    assert_eq!(
        t["scope"],
        "offline.access tweet.read tweet.write users.read"
    );
    let access = t["access_token"].as_str().unwrap();
    let me = sim
        .http
        .get(sim.url("/2/users/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    // The code works once.
    let again = token(
        &sim,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
        true,
    )
    .await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );

    let old_refresh = t["refresh_token"].as_str().unwrap();
    let r = token(
        &sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", old_refresh),
        ],
        true,
    )
    .await;
    assert_eq!(r.status(), 200);
    let t2: Value = r.json().await.unwrap();
    assert_ne!(t2["refresh_token"], t["refresh_token"]);
    let reuse = token(
        &sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", old_refresh),
        ],
        true,
    )
    .await;
    assert_eq!(reuse.status(), 400, "a refresh token works once");

    // Without Basic auth a confidential client is refused.
    let r = token(
        &sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t2["refresh_token"].as_str().unwrap()),
        ],
        false,
    )
    .await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );

    // Revocation.
    let new_access = t2["access_token"].as_str().unwrap();
    let r = sim
        .http
        .post(sim.url("/2/oauth2/revoke"))
        .basic_auth(&sim.creds().client_id, Some(&sim.creds().client_secret))
        .form(&[("token", new_access), ("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"revoked": true}));
    let me = sim
        .http
        .get(sim.url("/2/users/me"))
        .bearer_auth(new_access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
}

#[tokio::test]
async fn public_client_and_wrong_verifier() {
    let sim = TestSim::start().await;
    let client_id = sim.creds().public_client_id.clone();
    let verifier = "public-client-verifier-0123456789-0123456789-abcdef";
    let code = authorize(&sim, &client_id, verifier).await;
    let bad = token(
        &sim,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", "wrong"),
            ("client_id", &client_id),
        ],
        false,
    )
    .await;
    assert_eq!(bad.status(), 400);
    let code = authorize(&sim, &client_id, verifier).await;
    // Parameters in the query string are accepted too.
    let r = sim
        .http
        .post(sim.url(&format!(
            "/2/oauth2/token?grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={verifier}&client_id={client_id}",
            crate::helpers::encode(REDIRECT)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn auto_approve_redirects_at_once_and_tokens_expire() {
    let sim = TestSim::start().await;
    sim.control(
        "/_sim/settings",
        json!({"auto_approve": true, "token_ttl_secs": 1}),
    )
    .await;
    let verifier = "auto-approve-verifier-0123456789-0123456789-abcdefgh";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let r = no_redirects()
        .get(format!(
            "{}?response_type=code&client_id={}&redirect_uri={}&scope=tweet.read%20users.read&state=s&code_challenge={challenge}&code_challenge_method=S256",
            sim.url("/i/oauth2/authorize"),
            sim.creds().client_id,
            crate::helpers::encode(REDIRECT)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let t: Value = token(
        &sim,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
        true,
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        t.get("refresh_token").is_none(),
        "no offline.access, no refresh token"
    );
    assert_eq!(t["expires_in"], 1, "the configured lifetime");
    // Its second passes (the simulator's control route, instead of waiting
    // on the clock).
    sim.control("/_sim/tokens/expire", json!({})).await;
    let me = sim
        .http
        .get(sim.url("/2/users/me"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
}

#[tokio::test]
async fn client_credentials_give_an_app_only_bearer() {
    let sim = TestSim::start().await;
    let r = sim
        .http
        .post(sim.url("/oauth2/token"))
        .basic_auth(&sim.creds().api_key, Some(&sim.creds().api_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["token_type"], "bearer");
    let bearer = t["access_token"].as_str().unwrap();
    let r = sim
        .http
        .get(sim.url("/2/tweets/search/recent?query=Croydon"))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = sim
        .http
        .post(sim.url("/oauth2/token"))
        .basic_auth("wrong", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}
