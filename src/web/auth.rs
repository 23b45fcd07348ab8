//! Logging in and out: argon2id password hashes, sessions held in a cookie
//! (a random 256-bit token; the store keeps only its SHA-256), a double-submit
//! token against login CSRF, and throttling of failed attempts per username
//! and per address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
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

/// Failed logins in a sliding window, per username and per address. Kept in
/// memory: a restart forgets them, which an attacker cannot cause from outside.
#[derive(Debug, Default)]
pub(crate) struct LoginThrottle {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginThrottle {
    const WINDOW: Duration = Duration::from_secs(15 * 60);
    const PER_USERNAME: usize = 5;
    const PER_ADDRESS: usize = 20;

    fn keys(username: &str, ip: IpAddr) -> [(String, usize); 2] {
        [
            (format!("user:{username}"), Self::PER_USERNAME),
            (format!("ip:{ip}"), Self::PER_ADDRESS),
        ]
    }

    /// How long until another attempt is allowed, if it is not now.
    fn wait(&self, username: &str, ip: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("throttle lock");
        failures.retain(|_, times| {
            times.retain(|t| now.duration_since(*t) < Self::WINDOW);
            !times.is_empty()
        });
        Self::keys(username, ip)
            .iter()
            .filter_map(|(key, limit)| {
                let times = failures.get(key)?;
                (times.len() >= *limit).then(|| Self::WINDOW - now.duration_since(times[0]))
            })
            .max()
    }

    fn failed(&self, username: &str, ip: IpAddr) {
        let mut failures = self.failures.lock().expect("throttle lock");
        for (key, _) in Self::keys(username, ip) {
            failures.entry(key).or_default().push(Instant::now());
        }
    }

    fn succeeded(&self, username: &str) {
        let mut failures = self.failures.lock().expect("throttle lock");
        failures.remove(&format!("user:{username}"));
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

/// `POST /login`: checks the double-submit token, the throttle and the
/// password; on success starts a session and goes on to `next`.
pub(crate) async fn login(
    State(desk): State<Desk>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned());
    if expected.as_deref() != Some(form.csrf.as_str()) || form.csrf.is_empty() {
        return Err(WebError::Csrf);
    }
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
    if let Some(wait) = desk.throttle.wait(&username, peer.ip()) {
        warn!(officer.name = %username, client.address = %peer.ip(), "login throttled");
        let minutes = wait.as_secs().div_ceil(60);
        return refuse(
            jar,
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            format!("Too many failed attempts. Try again in {minutes} minute(s)."),
        );
    }
    let found = desk.store.officer_credentials(&username).await?;
    let password = form.password;
    let officer = tokio::task::spawn_blocking(move || {
        if password.len() > MAX_PASSWORD_BYTES {
            return None;
        }
        match found {
            Some((officer, hash)) => verify_password(&password, &hash).then_some(officer),
            None => {
                // Spend the same time as a real check, so timing does not
                // tell which usernames exist.
                let _ = verify_password(&password, dummy_hash());
                None
            }
        }
    })
    .await
    .map_err(|e| WebError::Internal(e.to_string()))?;
    let officer = match officer {
        Some(o) if !o.disabled => o,
        _ => {
            desk.throttle.failed(&username, peer.ip());
            warn!(officer.name = %username, client.address = %peer.ip(), "login failed");
            return refuse(
                jar,
                axum::http::StatusCode::UNAUTHORIZED,
                "That username and password do not match an active account.".into(),
            );
        }
    };
    desk.throttle.succeeded(&username);
    let token = random_token();
    let ttl = desk.config.desk.session_ttl;
    let expires = OffsetDateTime::now_utc() + ttl;
    desk.store
        .create_session(&officer, &token_hash(&token), &random_token(), expires)
        .await?;
    info!(officer.name = %officer.username, "logged in");
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

    #[test]
    fn throttle_locks_a_username_after_five_failures() {
        let t = LoginThrottle::default();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..LoginThrottle::PER_USERNAME {
            assert_eq!(t.wait("sam", ip), None);
            t.failed("sam", ip);
        }
        let wait = t.wait("sam", ip).expect("locked");
        assert!(wait <= LoginThrottle::WINDOW && wait > Duration::from_secs(14 * 60));
        assert_eq!(t.wait("jo", ip), None, "others may still log in");
        t.succeeded("sam");
        assert_eq!(t.wait("sam", ip), None);
    }
}
