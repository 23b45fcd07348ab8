//! Logging in and out: argon2id password hashes, sessions held in a cookie
//! (a random 256-bit token; the store keeps only its SHA-256), a double-submit
//! token against login CSRF, and throttling of failed attempts per username
//! and per address.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tracing::{info, warn};

use super::Desk;
use super::error::WebError;
use super::guard::Me;
use super::render::{html, local_path};
use crate::domain::officer::MAX_PASSWORD_BYTES;

/// The session cookie's name (with the `__Host-` prefix over HTTPS, which
/// browsers accept only from a secure origin, for path `/`, with no domain).
pub(crate) fn session_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-placewatch"
    } else {
        "placewatch"
    }
}

/// The login form's double-submit cookie.
const LOGIN_CSRF_COOKIE: &str = "placewatch_login";

/// argon2id with the parameters OWASP recommends (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password as an argon2id PHC string. CPU-heavy: call it off the
/// async threads (`spawn_blocking`).
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    argon2()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .expect("argon2id hashes any input with a 16-byte salt")
        .to_string()
}

/// Whether `password` matches a PHC string (false for a malformed one).
pub fn verify_password(password: &str, phc: &str) -> bool {
    argon2().verify_password(password.as_bytes(), phc).is_ok()
}

/// A random token, URL-safe base64 of 32 bytes.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keys a session by.
pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Password checks running at once, bounded: each argon2id check holds
/// 19 MiB, so a burst of logins must queue for a few checks instead of
/// running hundreds together. The queue is bounded too: a login that finds
/// it full is told to come back ([`Busy`]) rather than wait in an unbounded line.
#[derive(Debug)]
pub(crate) struct PasswordChecks {
    running: Arc<Semaphore>,
    queued: Arc<Semaphore>,
    /// Hashes being computed now, and the most there ever were at once.
    hashing: Arc<(AtomicUsize, AtomicUsize)>,
}

/// Every password-check slot and queue place is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy;

impl PasswordChecks {
    /// Places in the queue per check that may run.
    const QUEUE_PER_CHECK: usize = 4;

    /// As many checks at once as the machine has cores (at most 8), and a
    /// queue four times that.
    pub(crate) fn sized_to_machine() -> PasswordChecks {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PasswordChecks::new(cores.clamp(1, 8))
    }

    pub(crate) fn new(at_once: usize) -> PasswordChecks {
        PasswordChecks {
            running: Arc::new(Semaphore::new(at_once)),
            queued: Arc::new(Semaphore::new(at_once * Self::QUEUE_PER_CHECK)),
            hashing: Arc::default(),
        }
    }

    /// The most hashes that ever ran at once.
    #[cfg(test)]
    pub(crate) fn peak(&self) -> usize {
        self.hashing.1.load(Ordering::Relaxed)
    }

    /// Whether `password` matches `phc` (the dummy hash when there is no
    /// such officer, so the time spent does not tell), off the async
    /// threads. The slot is held until the hash is done, even if the
    /// request is abandoned meanwhile.
    pub(crate) async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, Busy> {
        let queued = self.queued.clone().try_acquire_owned().map_err(|_| Busy)?;
        let running = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Busy)?;
        let hashing = self.hashing.clone();
        tokio::task::spawn_blocking(move || {
            let _slots = (queued, running);
            let now = hashing.0.fetch_add(1, Ordering::Relaxed) + 1;
            hashing.1.fetch_max(now, Ordering::Relaxed);
            let matches = match phc {
                Some(phc) => verify_password(&password, &phc),
                None => {
                    let _ = verify_password(&password, dummy_hash());
                    false
                }
            };
            hashing.0.fetch_sub(1, Ordering::Relaxed);
            matches
        })
        .await
        .map_err(|_| Busy)
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    error: Option<String>,
    username: String,
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

/// `GET /login`: the form, with a fresh double-submit token.
pub(crate) async fn login_page(
    State(desk): State<Desk>,
    jar: CookieJar,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    let csrf = random_token();
    let jar = jar.add(login_csrf_cookie(&desk, csrf.clone()));
    let body = html(&LoginPage {
        csrf,
        next: local_path(q.next.as_deref()),
        error: None,
        username: String::new(),
    })?;
    Ok((jar, body).into_response())
}

fn login_csrf_cookie(desk: &Desk, value: String) -> Cookie<'static> {
    Cookie::build((LOGIN_CSRF_COOKIE, value))
        .path("/login")
        .http_only(true)
        .secure(desk.secure_cookies())
        .same_site(SameSite::Strict)
        .build()
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// Takes back an attempt whose password was never checked (the store or
/// every password check was busy). If even that fails, the attempt stays
/// counted, which errs on the safe side.
async fn release(desk: &Desk, attempt: crate::store::LoginAttempt) {
    if let Err(e) = desk.store.release_login(attempt).await {
        warn!(
            error = format!("{e:#}"),
            "could not take back a login attempt"
        );
    }
}

/// `POST /login`: checks the double-submit token, the throttle and the
/// password; on success starts a session (ending the one this browser had)
/// and goes on to `next`.
pub(crate) async fn login(
    State(desk): State<Desk>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned());
    if expected.as_deref() != Some(form.csrf.as_str()) || form.csrf.is_empty() {
        return Err(WebError::Csrf);
    }
    let client = client_address(peer.ip(), &headers, &desk.config.desk.trusted_proxies);
    let username = form.username.trim().to_lowercase();
    let next = local_path(form.next.as_deref());
    let refuse = |jar: CookieJar, status, error: String| -> Result<Response, WebError> {
        let csrf = random_token();
        let jar = jar.add(login_csrf_cookie(&desk, csrf.clone()));
        let body = html(&LoginPage {
            csrf,
            next: next.clone(),
            error: Some(error),
            username: username.clone(),
        })?;
        Ok((status, jar, body).into_response())
    };
    let come_back = |jar: CookieJar, status, wait: Duration, error: String| {
        let mut response = refuse(jar, status, error)?;
        let secs = wait.as_secs().max(1).to_string();
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&secs).expect("digits are a header value"),
        );
        Ok::<_, WebError>(response)
    };
    let attempt = match desk
        .store
        .reserve_login(&username, &client.to_string())
        .await?
    {
        Ok(attempt) => attempt,
        Err(wait) => {
            warn!(officer.name = %username, client.address = %client, "login throttled");
            let minutes = wait.as_secs().div_ceil(60);
            return come_back(
                jar,
                StatusCode::TOO_MANY_REQUESTS,
                wait,
                format!("Too many failed attempts. Try again in {minutes} minute(s)."),
            );
        }
    };
    let found = match desk.store.officer_credentials(&username).await {
        Ok(found) => found,
        Err(e) => {
            release(&desk, attempt).await;
            return Err(e.into());
        }
    };
    let (officer, hash) = found.map_or((None, None), |(o, h)| (Some(o), Some(h)));
    let password = form.password;
    let matches = if password.len() > MAX_PASSWORD_BYTES {
        false
    } else {
        match desk.checks.verify(password, hash).await {
            Ok(matches) => matches,
            Err(Busy) => {
                release(&desk, attempt).await;
                warn!(client.address = %client, "login refused: every password check is busy");
                return come_back(
                    jar,
                    StatusCode::SERVICE_UNAVAILABLE,
                    Duration::from_secs(2),
                    "The desk is busy checking other logins. Try again in a few seconds.".into(),
                );
            }
        }
    };
    let officer = match officer {
        Some(o) if matches && !o.disabled => o,
        _ => {
            warn!(officer.name = %username, client.address = %client, "login failed");
            return refuse(
                jar,
                StatusCode::UNAUTHORIZED,
                "That username and password do not match an active account.".into(),
            );
        }
    };
    desk.store.login_succeeded(attempt).await?;
    // A login replaces the session this browser had, whoever it belonged to.
    if let Some(previous) = jar.get(session_cookie(desk.secure_cookies())) {
        desk.store
            .end_session(&token_hash(previous.value()))
            .await?;
    }
    let token = random_token();
    let ttl = desk.config.desk.session_ttl;
    let expires = OffsetDateTime::now_utc() + ttl;
    desk.store
        .create_session(&officer, &token_hash(&token), &random_token(), expires)
        .await?;
    info!(officer.name = %officer.username, client.address = %client, "logged in");
    let cookie = Cookie::build((session_cookie(desk.secure_cookies()), token))
        .path("/")
        .http_only(true)
        .secure(desk.secure_cookies())
        .same_site(SameSite::Lax)
        .max_age(time::Duration::try_from(ttl).unwrap_or(time::Duration::hours(12)))
        .build();
    let jar = jar
        .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login"))
        .add(cookie);
    Ok((jar, Redirect::to(&next)).into_response())
}

/// The address a request comes from: the peer, or, when the peer is one of
/// the configured reverse proxies, the address the proxies recorded in
/// `X-Forwarded-For` (the rightmost one that is not itself a trusted proxy;
/// anything to its left was written by the client and proves nothing).
pub(crate) fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    hops.reverse();
    for hop in hops {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip,
            // Unreadable: stop trusting the chain here.
            Err(_) => return peer,
        }
    }
    peer
}

/// A valid argon2id hash of nothing anyone types, for unknown usernames.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&random_token()))
}

/// `POST /logout`: ends the session and clears the cookie.
pub(crate) async fn logout(
    State(desk): State<Desk>,
    me: Me,
    jar: CookieJar,
) -> Result<Response, WebError> {
    desk.store.end_session(&me.token_hash).await?;
    info!(officer.name = %me.officer.username, "logged out");
    let jar = jar.remove(Cookie::build(session_cookie(desk.secure_cookies())).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let phc = hash_password("correct horse battery");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse batterY", &phc));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(phc, hash_password("correct horse battery"), "salted");
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let proxy = ip("10.0.0.5");
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.9, 10.0.0.5"),
        );
        let trusted = [proxy];
        assert_eq!(
            client_address(proxy, &headers, &trusted),
            ip("203.0.113.9"),
            "the rightmost hop the proxies did not write themselves"
        );
        assert_eq!(
            client_address(ip("198.51.100.7"), &headers, &trusted),
            ip("198.51.100.7"),
            "a client cannot claim another address"
        );
        assert_eq!(client_address(proxy, &HeaderMap::new(), &trusted), proxy);
        headers.insert("x-forwarded-for", HeaderValue::from_static("junk"));
        assert_eq!(client_address(proxy, &headers, &trusted), proxy);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn password_checks_run_a_few_at_a_time_and_turn_the_rest_away() {
        let checks = Arc::new(PasswordChecks::new(2));
        let phc = hash_password("right");
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let (checks, phc) = (checks.clone(), phc.clone());
                tokio::spawn(async move { checks.verify("wrong".into(), Some(phc)).await })
            })
            .collect();
        let mut outcomes = (0, 0);
        for task in tasks {
            match task.await.unwrap() {
                Ok(matched) => {
                    assert!(!matched);
                    outcomes.0 += 1;
                }
                Err(Busy) => outcomes.1 += 1,
            }
        }
        assert_eq!(outcomes.0 + outcomes.1, 40);
        assert!(
            outcomes.0 <= 2 * PasswordChecks::QUEUE_PER_CHECK,
            "at most the queue's places were checked: {outcomes:?}"
        );
        assert!(outcomes.1 >= 40 - 2 * PasswordChecks::QUEUE_PER_CHECK);
        assert_eq!(checks.peak(), 2, "never more than two hashes at once");
        assert!(checks.verify("right".into(), Some(phc)).await.unwrap());
    }
}
