//! The defects an attack on the running demo found (issue 13), each shown
//! fixed: simultaneous wrong passwords, a search built to stall the desk,
//! self-approval, the data directory's modes, where a login goes next, body
//! limits, slow headers, live streams per session, Host and Origin, a login
//! replacing the browser's session, and addresses behind a proxy.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use placewatch::domain::outbox::ReplyState;
use reqwest::StatusCode;
use reqwest::header::{RETRY_AFTER, SET_COOKIE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{DeskTest, Officer, PASSWORD, flash, input_value, location, session_cookie};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

#[apply(engines)]
#[tokio::test]
async fn forty_simultaneous_wrong_passwords_get_at_most_five_checks(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let attempts: Vec<_> = (0..40)
        .map(|n| {
            let anon = t.anonymous();
            tokio::spawn(async move {
                let r = anon.try_login("sam", &format!("wrong password {n}")).await;
                let retry_after = r.headers().get(RETRY_AFTER).is_some();
                (r.status(), retry_after)
            })
        })
        .collect();
    let mut checked = 0;
    let mut turned_away = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            (StatusCode::UNAUTHORIZED, _) => checked += 1,
            (StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE, true) => {
                turned_away += 1
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert!(checked <= 5, "{checked} passwords checked");
    assert_eq!(checked + turned_away, 40);
    // sam is locked out, even with the right password; others are not.
    let r = t.anonymous().try_login("sam", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get(RETRY_AFTER).is_some());
    let r = t.anonymous().try_login("priya", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_search_built_to_stall_the_desk_is_refused_and_others_keep_working(
    #[case] engine: Engine,
) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    t.arrive("resident1", "Bins not collected on Purley Way again")
        .await;
    let vic = t.login("vic").await;
    let sam = t.login("sam").await;
    let huge = format!("/?q={}", "a+".repeat(30_000));
    let searches: Vec<_> = (0..4)
        .map(|_| {
            let (http, base, cookie, path) = (
                vic.http.clone(),
                vic.base.clone(),
                vic.cookie.clone(),
                huge.clone(),
            );
            tokio::spawn(async move {
                let r = http
                    .get(format!("{base}{path}"))
                    .header("Cookie", cookie)
                    .send()
                    .await
                    .unwrap();
                (r.status(), r.text().await.unwrap())
            })
        })
        .collect();
    // Another officer's inbox and a login, while the searches are in.
    let inbox = sam.get("/").await;
    assert_eq!(inbox.status(), StatusCode::OK);
    assert!(inbox.text().await.unwrap().contains("Purley Way"));
    assert!(
        !t.login("alex").await.cookie.is_empty(),
        "a login goes through"
    );
    for search in searches {
        let (status, page) = search.await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("searches are limited to 200"),
            "the officer is told why"
        );
        assert!(page.contains("role=\"alert\""), "announced");
        assert!(page.len() < 100_000, "the search is not echoed whole");
    }
    let words = format!("/?q={}", "bins+".repeat(13));
    let r = vic.get(&words).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("13 words"));
    let r = vic.get("/?q=bins+purley").await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("<mark>Bins</mark> not collected on <mark>Purley</mark> Way"));
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn an_approver_may_not_approve_her_own_reply(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let item = t
        .arrive("resident20", "@yourcroydon the Purley underpass is flooded")
        .await;
    let priya = t.login("priya").await;
    let r = priya
        .post(
            &format!("/items/{}/reply", item.id),
            &[("template", "escalate")],
        )
        .await;
    assert!(flash(&r).contains("waits for an approver"), "{}", flash(&r));
    let waiting = t
        .store
        .replies_in_state(ReplyState::AwaitingApproval)
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1);
    let id = waiting[0].id;
    let page = priya.get("/approvals").await.text().await.unwrap();
    assert!(page.contains("You wrote this reply, so another approver must approve it"));
    assert!(!page.contains(&format!("/replies/{id}/approve")));

    let r = priya.post(&format!("/replies/{id}/approve"), &[]).await;
    assert!(
        flash(&r).contains("another approver must approve it"),
        "{}",
        flash(&r)
    );
    assert_eq!(
        t.store.reply(id).await.unwrap().state,
        ReplyState::AwaitingApproval
    );
    assert_eq!(t.replies_created().await, 0);
    let refused = t.store.audit(Some(item.id), 50).await.unwrap();
    let refusal = refused
        .iter()
        .find(|e| e.action == "reply.approval_refused")
        .expect("the refusal is audited");
    assert_eq!(refusal.actor, "priya");

    let alex = t.login("alex").await;
    let r = alex.post(&format!("/replies/{id}/approve"), &[]).await;
    assert!(flash(&r).contains("Reply sent"), "{}", flash(&r));
    assert_eq!(t.replies_created().await, 1);
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn self_approval_can_be_allowed_in_config(#[case] engine: Engine) {
    let Some(t) = DeskTest::on_with(engine, "\n[desk]\nallow_self_approval = true\n").await else {
        return;
    };
    let item = t
        .arrive("resident21", "@yourcroydon Purley pavement broken")
        .await;
    let priya = t.login("priya").await;
    priya
        .post(
            &format!("/items/{}/reply", item.id),
            &[("template", "escalate")],
        )
        .await;
    let waiting = t
        .store
        .replies_in_state(ReplyState::AwaitingApproval)
        .await
        .unwrap();
    let r = priya
        .post(&format!("/replies/{}/approve", waiting[0].id), &[])
        .await;
    assert!(flash(&r).contains("Reply sent"), "{}", flash(&r));
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn logins_go_on_only_to_paths_on_the_desk(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    for next in [
        "/\t/127.0.0.1:18999/phish",
        "/\n/127.0.0.1:18999/phish",
        "/\r\nX-Injected: 1",
        "/\\127.0.0.1:18999/phish",
        "//127.0.0.1:18999/phish",
        "http://127.0.0.1:18999/phish",
        "https://evil.example/",
    ] {
        let r = t.anonymous().try_login_to("alex", PASSWORD, next).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&r), "/", "{next:?}");
    }
    let r = t
        .anonymous()
        .try_login_to("alex", PASSWORD, "/approvals?done=x")
        .await;
    assert_eq!(location(&r), "/approvals?done=x");
    // The login page's hidden field carries only what it would accept.
    let page = t
        .anonymous()
        .get("/login?next=%2F%09%2F127.0.0.1:18999%2Fphish")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(input_value(&page, "next"), "/");
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn bodies_over_the_limit_get_413_on_every_route(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let item = t.arrive("resident22", "Croydon bins").await;
    let sam = t.login("sam").await;
    let big = "x".repeat(300 * 1024);
    let id = item.id;
    for path in [
        format!("/items/{id}/claim"),
        format!("/items/{id}/dismiss"),
        format!("/items/{id}/note"),
        format!("/items/{id}/reply"),
        format!("/items/{id}/refer"),
        "/items/dismiss".to_owned(),
        "/replies/1/reject".to_owned(),
    ] {
        // The token in the header, as the desk's script sends it.
        let r = sam
            .http
            .post(format!("{}{path}", sam.base))
            .header("Cookie", &sam.cookie)
            .header("X-CSRF-Token", &sam.csrf)
            .form(&[("text", big.as_str()), ("back", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        // And in the form, as a page without the script sends it.
        let r = sam.post(&path, &[("text", big.as_str())]).await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
    assert_eq!(
        t.store.item(id).await.unwrap().status,
        item.status,
        "nothing changed"
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let addr = t.base.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /login HTTP/1.1\r\nHost: ")
        .await
        .unwrap();
    // The desk gives up on it (after HEADER_READ_TIMEOUT); the bound here
    // only keeps a broken build from hanging the suite.
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(
        placewatch::web::HEADER_READ_TIMEOUT * 6,
        slow.read_to_end(&mut buf),
    )
    .await;
    assert!(closed.is_ok(), "the slow connection is still open");
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_session_holds_a_bounded_number_of_live_streams(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let sam = t.login("sam").await;
    let open = || async {
        sam.http
            .get(format!("{}/events", sam.base))
            .header("Cookie", &sam.cookie)
            .header("Accept", "text/event-stream")
            .send()
            .await
            .unwrap()
    };
    let mut streams = Vec::new();
    for _ in 0..6 {
        let r = open().await;
        assert_eq!(r.status(), StatusCode::OK);
        streams.push(r);
    }
    assert_eq!(open().await.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another officer is not affected.
    let priya = t.login("priya").await;
    let r = priya
        .http
        .get(format!("{}/events", priya.base))
        .header("Cookie", &priya.cookie)
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    drop(r);
    // A closed stream frees its place (once the desk notices the hang-up,
    // at its next event or keep-alive; a new item makes one).
    drop(streams.pop());
    t.arrive("resident23", "Croydon tram stop lights out").await;
    let mut reopened = false;
    for _ in 0..100 {
        if open().await.status() == StatusCode::OK {
            reopened = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(reopened, "a place came free");
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn host_and_origin_must_name_the_desk(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let sam = t.login("sam").await;
    let port = t.base.rsplit(':').next().unwrap().to_owned();
    let r = sam
        .http
        .get(format!("{}/", sam.base))
        .header("Cookie", &sam.cookie)
        .header("Host", format!("evil.example:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::MISDIRECTED_REQUEST);
    let r = sam
        .http
        .get(format!("{}/login", sam.base))
        .header("Host", format!("localhost:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "localhost names a loopback desk"
    );
    let item = t.arrive("resident24", "Croydon bins").await;
    for origin in [
        format!("https://127.0.0.1:{port}"),
        format!("http://evil.example:{port}"),
        "http://127.0.0.1:1".to_owned(),
        "null".to_owned(),
    ] {
        let r = sam
            .http
            .post(format!("{}/items/{}/claim", sam.base, item.id))
            .header("Cookie", &sam.cookie)
            .header("Origin", &origin)
            .form(&[("_csrf", sam.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{origin}");
    }
    let r = sam
        .http
        .post(format!("{}/items/{}/claim", sam.base, item.id))
        .header("Cookie", &sam.cookie)
        .header("Origin", t.base.as_str())
        .form(&[("_csrf", sam.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn logging_in_again_ends_the_browsers_previous_session(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let sam = t.login("sam").await;
    let page = sam.get("/login").await;
    let login_cookie = page
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("placewatch_login="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .unwrap();
    let token = input_value(&page.text().await.unwrap(), "_csrf");
    // The same browser: it sends its session cookie with the new login.
    let r = sam
        .http
        .post(format!("{}/login", sam.base))
        .header("Cookie", format!("{login_cookie}; {}", sam.cookie))
        .form(&[
            ("username", "priya"),
            ("password", PASSWORD),
            ("_csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let priya_cookie = session_cookie(r.headers()).unwrap();
    assert_ne!(priya_cookie, sam.cookie);
    assert_eq!(
        sam.get("/status").await.status(),
        StatusCode::SEE_OTHER,
        "sam's session ended"
    );
    let priya = Officer {
        cookie: priya_cookie,
        ..t.anonymous()
    };
    assert_eq!(priya.get("/status").await.status(), StatusCode::OK);
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn behind_a_trusted_proxy_each_officer_has_their_own_address(#[case] engine: Engine) {
    let Some(t) = DeskTest::on_with(engine, "\n[desk]\ntrusted_proxies = [\"127.0.0.1\"]\n").await
    else {
        return;
    };
    let from = |ip: &'static str| {
        let mut officer = t.anonymous();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("X-Forwarded-For", ip.parse().unwrap());
        officer.http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap();
        officer
    };
    // Twenty failures from one address behind the proxy, over many names.
    let attacker = from("203.0.113.66");
    for n in 0..20 {
        let r = attacker
            .try_login(&format!("nobody{n}"), "wrong password")
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = attacker.try_login("nobody99", "wrong password").await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "that address is locked"
    );
    // An officer at another address behind the same proxy is not.
    let r = from("203.0.113.7").try_login("sam", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    t.stop().await;
}

/// While the daemon runs, its data directory, database, WAL and
/// shared-memory files are owner-only. SQLite-only: the store's files.
#[tokio::test]
async fn a_running_desks_files_are_owner_only() {
    let t = DeskTest::start().await;
    t.arrive("resident25", "Croydon bins").await;
    let data = t.data_dir();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    for name in ["placewatch.db", "placewatch.db-wal", "placewatch.db-shm"] {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
    assert_eq!(mode(&data.join("spool")), 0o700);
    t.stop().await;
}

/// The data directory is 0700 and the store's files 0600, even when the
/// process runs with a umask that would make them world-writable.
#[test]
fn the_data_directory_and_store_are_owner_only_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("placewatch.toml");
    std::fs::write(
        &config,
        format!(
            "[council]\nname = \"Croydon Council\"\nhandle = \"yourcroydon\"\n\n\
             [monitor]\nplaces = [\"Croydon\"]\n\n[data]\ndir = \"{}\"\n",
            data.display()
        ),
    )
    .unwrap();
    let script = format!(
        "umask 000 && printf '%s\\n' '{PASSWORD}' | exec '{}' officer add sam --name 'Sam Patel' \
         --role officer --config '{}'",
        env!("CARGO_BIN_EXE_placewatch"),
        config.display()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "data directory");
    let mut files = 0;
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("placewatch.db") {
            assert_eq!(mode(&path), 0o600, "{name}");
            files += 1;
        }
    }
    assert!(files >= 1);
}
