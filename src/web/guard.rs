//! The layers every desk request passes through:
//!
//! - [`security_headers`]: a strict Content-Security-Policy (scripts and
//!   styles only from the desk itself, no inline script, no framing), and
//!   the usual companions;
//! - [`require_session`]: the session cookie must name a live session of an
//!   active officer (pages redirect to the login, other requests get 401);
//!   for every state-changing request the session's CSRF token must come
//!   back, in the `X-CSRF-Token` header or the form's `_csrf` field, and an
//!   `Origin` header, when the browser sends one, must be the desk's own
//!   (scheme, host and port: [`Origins`]).
//!
//! - [`require_host`]: the `Host` header must name this desk (see
//!   [`Origins`]), so a page on another name that resolves here (DNS
//!   rebinding) gets nothing.
//!
//! Handlers take [`Me`], the officer of the request, and ask it for the
//! permission their action needs ([`Me::require`]).

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;

use super::Desk;
use super::auth::{session_cookie, token_hash};
use super::error::WebError;
use crate::domain::officer::Permission;
use crate::store::Officer;

/// The desk's Content-Security-Policy: nothing inline, nothing from elsewhere.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// Largest request body the desk reads, in the CSRF check and every
/// extractor (a reply is at most a few KB); larger ones get 413.
pub(crate) const MAX_FORM_BYTES: usize = 256 * 1024;

/// Adds the security headers to every response.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Where the desk is reached, which the `Host` and `Origin` headers of its
/// requests must name: `desk.public_url` when it is set (scheme, host and
/// port), and the address the desk listens on (what a reverse proxy on the
/// same machine, or an officer on it, sends). A loopback listener also
/// answers as `localhost`; one on every address (`0.0.0.0`, `[::]`) with no
/// public URL answers any name on its port, since it cannot know its names.
#[derive(Debug, Clone)]
pub(crate) struct Origins {
    public: Option<url::Url>,
    listen: SocketAddr,
}

impl Origins {
    pub fn new(public_url: Option<&url::Url>, listen: SocketAddr) -> Origins {
        Origins {
            public: public_url.cloned(),
            listen,
        }
    }

    /// Whether `host` (a `Host` header: name or address, and port) is this desk.
    pub fn host_ok(&self, host: &str) -> bool {
        let named = |scheme: &str| url::Url::parse(&format!("{scheme}://{host}/")).ok();
        if let Some(public) = &self.public
            && let Some(asked) = named(public.scheme())
            && asked.host() == public.host()
            && asked.port_or_known_default() == public.port_or_known_default()
            && asked.path() == "/"
        {
            return true;
        }
        named("http").is_some_and(|asked| self.is_listen_address(&asked))
    }

    /// Whether `origin` (an `Origin` header) is this desk's own.
    pub fn origin_ok(&self, origin: &str) -> bool {
        let Ok(asked) = url::Url::parse(origin) else {
            return false;
        };
        match &self.public {
            Some(public) => asked.origin() == public.origin(),
            None => asked.scheme() == "http" && self.is_listen_address(&asked),
        }
    }

    fn is_listen_address(&self, asked: &url::Url) -> bool {
        if asked.port_or_known_default() != Some(self.listen.port()) {
            return false;
        }
        let ip = self.listen.ip();
        let named = match asked.host() {
            Some(url::Host::Ipv4(v4)) => ip == std::net::IpAddr::V4(v4),
            Some(url::Host::Ipv6(v6)) => ip == std::net::IpAddr::V6(v6),
            Some(url::Host::Domain(name)) => ip.is_loopback() && name == "localhost",
            None => false,
        };
        named || (ip.is_unspecified() && self.public.is_none())
    }
}

/// Refuses (421) a request whose `Host` header does not name this desk.
pub(crate) async fn require_host(
    State(desk): State<Desk>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.to_string()));
    match host {
        Some(host) if desk.origins.host_ok(&host) => next.run(request).await,
        _ => WebError::Refused {
            status: StatusCode::MISDIRECTED_REQUEST,
            message: "This desk is not served under that name: use its own address.".into(),
        }
        .into_response(),
    }
}

/// The officer making a request, with their session's CSRF token.
#[derive(Debug, Clone)]
pub(crate) struct Me {
    pub officer: Officer,
    pub csrf: String,
    pub token_hash: Vec<u8>,
}

impl Me {
    /// Refuses (403) unless the officer's role has `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), WebError> {
        if self.officer.role.can(permission) {
            Ok(())
        } else {
            Err(WebError::Forbidden {
                role: self.officer.role,
                permission,
            })
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.officer.role.can(permission)
    }

    /// The name audit entries and owners use.
    pub fn name(&self) -> &str {
        &self.officer.username
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Me {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Me>()
            .cloned()
            .ok_or(WebError::NoSession)
    }
}

/// Resolves the session and checks CSRF; see the module docs.
pub(crate) async fn require_session(
    State(desk): State<Desk>,
    jar: CookieJar,
    request: Request,
    next: Next,
) -> Response {
    let session = match jar.get(session_cookie(desk.secure_cookies())) {
        Some(cookie) => {
            let hash = token_hash(cookie.value());
            match desk.store.session(&hash).await {
                Ok(session) => session.map(|s| (s, hash)),
                Err(e) => return WebError::from(e).into_response(),
            }
        }
        None => None,
    };
    let Some((session, hash)) = session else {
        return if request.method() == Method::GET && !is_fetch(&request) {
            let next = request
                .uri()
                .path_and_query()
                .map_or("/".to_owned(), |p| p.to_string());
            let target = format!("/login?next={}", urlencode(&next));
            Redirect::to(&target).into_response()
        } else {
            WebError::NoSession.into_response()
        };
    };
    let me = Me {
        officer: session.officer,
        csrf: session.csrf_token,
        token_hash: hash,
    };
    let mut request = if changes_state(request.method()) {
        match check_csrf(request, &me.csrf, &desk.origins).await {
            Ok(request) => request,
            Err(e) => return e.into_response(),
        }
    } else {
        request
    };
    request.extensions_mut().insert(me);
    next.run(request).await
}

/// Whether the request comes from the desk's script (which wants JSON, not a redirect).
fn is_fetch(request: &Request) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/event-stream"))
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Checks the Origin and the CSRF token, handing the request on with its
/// body intact.
async fn check_csrf(
    request: Request,
    expected: &str,
    origins: &Origins,
) -> Result<Request, WebError> {
    let headers = request.headers();
    if let Some(origin) = headers.get(header::ORIGIN)
        && !origin.to_str().is_ok_and(|o| origins.origin_ok(o))
    {
        return Err(WebError::Csrf);
    }
    if let Some(token) = headers.get("x-csrf-token") {
        return if constant_time_eq(token.as_bytes(), expected.as_bytes()) {
            Ok(request)
        } else {
            Err(WebError::Csrf)
        };
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(WebError::Csrf);
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| WebError::TooLarge)?;
    let token = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.into_owned());
    match token {
        Some(t) if constant_time_eq(t.as_bytes(), expected.as_bytes()) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(WebError::Csrf),
    }
}

/// Lets a request through only with `Authorization: Bearer TOKEN` (the
/// monitoring endpoints on the desk's address); 401 otherwise.
pub(crate) async fn require_bearer(
    State(token): State<Arc<secrecy::SecretString>>,
    request: Request,
    next: Next,
) -> Response {
    use secrecy::ExposeSecret;
    let offered = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match offered {
        Some(t) if constant_time_eq(t.as_bytes(), token.expose_secret().as_bytes()) => {
            next.run(request).await
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a bearer token is needed\n",
        )
            .into_response(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Percent-encodes a path for a query value.
pub(crate) fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_origins_must_name_the_desk() {
        let local = Origins::new(None, "127.0.0.1:8080".parse().unwrap());
        assert!(local.host_ok("127.0.0.1:8080"));
        assert!(local.host_ok("localhost:8080"));
        assert!(!local.host_ok("127.0.0.1:8081"));
        assert!(!local.host_ok("evil.example:8080"), "DNS rebinding");
        assert!(!local.host_ok("127.0.0.1"));
        assert!(local.origin_ok("http://127.0.0.1:8080"));
        assert!(
            !local.origin_ok("https://127.0.0.1:8080"),
            "the scheme counts"
        );
        assert!(!local.origin_ok("http://evil.example:8080"));
        assert!(!local.origin_ok("null"));

        let public = url::Url::parse("https://desk.example.gov.uk/").unwrap();
        let proxied = Origins::new(Some(&public), "127.0.0.1:8080".parse().unwrap());
        assert!(proxied.host_ok("desk.example.gov.uk"));
        assert!(proxied.host_ok("desk.example.gov.uk:443"));
        assert!(
            proxied.host_ok("127.0.0.1:8080"),
            "the proxy's own upstream name"
        );
        assert!(!proxied.host_ok("desk.example.gov.uk:8443"));
        assert!(proxied.origin_ok("https://desk.example.gov.uk"));
        assert!(
            !proxied.origin_ok("http://desk.example.gov.uk"),
            "the scheme counts"
        );
        assert!(!proxied.origin_ok("https://desk.example.gov.uk:8443"));
        assert!(!proxied.origin_ok("http://127.0.0.1:8080"));

        let everywhere = Origins::new(None, "0.0.0.0:8080".parse().unwrap());
        assert!(everywhere.host_ok("desk.internal:8080"));
        assert!(!everywhere.host_ok("desk.internal:9090"));
        assert!(everywhere.origin_ok("http://10.1.2.3:8080"));
        assert!(!everywhere.origin_ok("https://10.1.2.3:8080"));
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
