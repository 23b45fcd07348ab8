//! Who may do what: sessions, cookies, throttled logins, CSRF, roles and the
//! security headers.

use reqwest::StatusCode;
use reqwest::header::SET_COOKIE;

use super::{DeskTest, PASSWORD, location, session_cookie};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

#[apply(engines)]
#[tokio::test]
async fn every_page_but_login_needs_a_session(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let anon = t.anonymous();
    for path in [
        "/",
        "/items/1",
        "/approvals",
        "/status",
        "/officers",
        "/inbox/rows",
    ] {
        let r = anon.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&r).starts_with("/login?next="), "{path}");
    }
    let r = anon.post_raw("/items/1/claim", &[("_csrf", "x")]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = anon
        .http
        .get(format!("{}/events", t.base))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    for path in ["/login", "/static/desk.css", "/static/desk.js"] {
        assert_eq!(anon.get(path).await.status(), StatusCode::OK, "{path}");
    }
    t.stop().await;
}

/// `/metrics` and `/healthz` are not on the desk's address (which a
/// reverse proxy may publish) but on the monitoring address, loopback by
/// default; with `desk.monitoring_token_env` set they are also on the desk's
/// address, for a bearer of that token only.
#[apply(engines)]
#[tokio::test]
async fn monitoring_is_served_apart_from_the_desk_or_to_a_bearer_of_its_token(
    #[case] engine: Engine,
) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let anon = t.anonymous();
    let http = reqwest::Client::new();
    for path in ["/healthz", "/metrics"] {
        assert_eq!(
            anon.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "desk {path}"
        );
        let r = http
            .get(format!("{}{path}", t.monitoring))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "monitoring {path}");
    }
    let metrics = http
        .get(format!("{}/metrics", t.monitoring))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("# TYPE"), "{metrics}");
    t.stop().await;

    let t = DeskTest::on_with_env(
        engine,
        "\n[desk]\nmonitoring_token_env = \"PW_MONITORING_TOKEN\"\n",
        &[(
            "PW_MONITORING_TOKEN",
            "a-long-random-monitoring-token".into(),
        )],
    )
    .await
    .expect("the engine was there a moment ago");
    let healthz = format!("{}/healthz", t.base);
    let status = |token: Option<&'static str>| {
        let (http, healthz) = (http.clone(), healthz.clone());
        async move {
            let mut r = http.get(healthz);
            if let Some(token) = token {
                r = r.bearer_auth(token);
            }
            r.send().await.unwrap().status()
        }
    };
    assert_eq!(status(None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(Some("wrong")).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        status(Some("a-long-random-monitoring-token")).await,
        StatusCode::OK
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn the_session_cookie_is_hardened_and_logout_ends_the_session(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let anon = t.anonymous();
    let r = anon.try_login("sam", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("placewatch="))
        .unwrap();
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Lax"), "{set}");
    assert!(set.contains("Path=/"), "{set}");
    assert!(!set.contains("Secure"), "plain http on loopback: {set}");
    drop(anon);

    let sam = t.login("sam").await;
    assert_eq!(sam.get("/").await.status(), StatusCode::OK);
    let r = sam.post("/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login");
    let r = sam.get("/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the old cookie is dead");
    let actions: Vec<String> = t
        .store
        .audit(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.actor, e.action))
        .collect();
    assert!(
        actions.contains(&"sam officer.logged_out".to_owned()),
        "{actions:?}"
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn secure_cookies_behind_https(#[case] engine: Engine) {
    let Some(t) = DeskTest::on_with(
        engine,
        "\n[desk]\npublic_url = \"https://desk.example.gov.uk/\"\n",
    )
    .await
    else {
        return;
    };
    let r = t.anonymous().try_login("sam", PASSWORD).await;
    let set = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-placewatch="))
        .expect("a __Host- cookie");
    assert!(set.contains("Secure") && set.contains("HttpOnly"), "{set}");
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn failed_logins_are_refused_then_throttled(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let anon = t.anonymous();
    let r = anon.try_login("nobody", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let page = r.text().await.unwrap();
    assert!(page.contains("do not match an active account"), "{page}");
    for _ in 0..5 {
        let r = anon.try_login("sam", "wrong password!").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(session_cookie(r.headers()), None);
    }
    // Locked out now, even with the right password.
    let r = anon.try_login("sam", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(session_cookie(r.headers()), None);
    assert!(r.text().await.unwrap().contains("Too many failed attempts"));
    // Others are not.
    let r = anon.try_login("priya", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_login_without_its_form_token_is_refused(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let r = t
        .anonymous()
        .post_raw("/login", &[("username", "sam"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(session_cookie(r.headers()), None);
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn state_changes_need_the_sessions_csrf_token_and_our_origin(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let item = t.arrive("resident1", "Potholes all over Croydon").await;
    let sam = t.login("sam").await;
    let priya = t.login("priya").await;
    let claim = format!("/items/{}/claim", item.id);
    let before = t.audit_count().await;

    let r = sam.post_raw(&claim, &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no token");
    let r = sam.post_raw(&claim, &[("_csrf", "forged")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "wrong token");
    let r = sam
        .http
        .post(format!("{}{claim}", t.base))
        .header("Cookie", &sam.cookie)
        .header("X-CSRF-Token", &sam.csrf)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "another origin");
    // Another officer's token is not this session's.
    let r = sam.post_raw(&claim, &[("_csrf", &priya.csrf)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "someone else's token");
    assert_eq!(t.audit_count().await, before, "nothing changed");
    assert_eq!(t.store.item(item.id).await.unwrap().owner, None);

    let r = sam.post(&claim, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "with the token");
    assert_eq!(
        t.store.item(item.id).await.unwrap().owner.as_deref(),
        Some("sam")
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn every_action_checks_the_role(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let item = t
        .arrive("resident2", "@yourcroydon bins not collected in Purley")
        .await;
    let vic = t.login("vic").await;
    let sam = t.login("sam").await;
    let id = item.id.to_string();

    // A viewer reads but changes nothing.
    assert_eq!(vic.get("/").await.status(), StatusCode::OK);
    assert_eq!(
        vic.get(&format!("/items/{id}")).await.status(),
        StatusCode::OK
    );
    for path in ["claim", "dismiss", "note", "reply"] {
        let r = vic
            .post(
                &format!("/items/{id}/{path}"),
                &[("text", "hello"), ("template", "thanks")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "viewer {path}");
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("your role (viewer) may not")
        );
    }
    let r = vic.post("/items/dismiss", &[("item", &id)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.replies_created().await, 0);

    // Officers triage and reply, but neither approve nor administer.
    assert_eq!(sam.get("/approvals").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(sam.get("/officers").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        sam.post("/replies/1/approve", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        sam.post("/officers/vic/disable", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    let priya = t.login("priya").await;
    assert_eq!(priya.get("/approvals").await.status(), StatusCode::OK);
    assert_eq!(priya.get("/officers").await.status(), StatusCode::FORBIDDEN);

    // An administrator disables an account: its session ends at once.
    let alex = t.login("alex").await;
    assert_eq!(alex.get("/officers").await.status(), StatusCode::OK);
    let r = alex.post("/officers/vic/disable", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(vic.get("/").await.status(), StatusCode::SEE_OTHER);
    let r = t.anonymous().try_login("vic", PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "disabled accounts cannot log in"
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn pages_carry_a_strict_content_security_policy(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let sam = t.login("sam").await;
    for path in ["/", "/status", "/login", "/items/999999"] {
        let r = sam.get(path).await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        let body = r.text().await.unwrap();
        assert!(!body.contains("<script>"), "{path}: no inline script");
    }
    t.stop().await;
}
