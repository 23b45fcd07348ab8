//! Who is calling: the simulator's apps, their app-only bearer tokens, and the
//! OAuth 2.0 grants (authorization codes, access tokens, rotating refresh tokens)
//! that let an app act as an account.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngExt;
use sha2::{Digest, Sha256};

/// An X developer app registered with the simulator.
#[derive(Debug, Clone)]
pub struct App {
    pub client_id: String,
    /// `None` for a public client (native or single-page app).
    pub client_secret: Option<String>,
    pub api_key: String,
    pub api_secret: String,
}

/// The identity behind a request's bearer token.
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    App {
        app: usize,
    },
    User {
        app: usize,
        user: usize,
        scopes: HashSet<String>,
    },
}

impl Caller {
    pub fn app(&self) -> usize {
        match self {
            Caller::App { app } | Caller::User { app, .. } => *app,
        }
    }
}

#[derive(Debug, Clone)]
struct AccessGrant {
    app: usize,
    user: usize,
    scopes: HashSet<String>,
    expires_ms: i64,
}

#[derive(Debug, Clone)]
struct RefreshGrant {
    app: usize,
    user: usize,
    scopes: HashSet<String>,
}

#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub app: usize,
    pub user: usize,
    pub redirect_uri: String,
    pub challenge: String,
    pub method: String,
    pub scopes: HashSet<String>,
    pub issued_ms: i64,
}

/// A successful token grant.
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: u64,
    pub scope: String,
}

/// Authorization codes live 30 seconds at X.
pub const CODE_TTL_MS: i64 = 30_000;

#[derive(Debug)]
pub struct Auth {
    pub apps: Vec<App>,
    bearer: HashMap<String, usize>,
    access: HashMap<String, AccessGrant>,
    refresh: HashMap<String, RefreshGrant>,
    /// Refresh tokens already used once: reuse is refused, as X does.
    spent_refresh: HashSet<String>,
    codes: HashMap<String, CodeGrant>,
    pub token_ttl_secs: u64,
}

pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

impl Auth {
    pub fn new(apps: Vec<App>, token_ttl_secs: u64) -> Auth {
        Auth {
            apps,
            bearer: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            spent_refresh: HashSet::new(),
            codes: HashMap::new(),
            token_ttl_secs,
        }
    }

    /// Resolves a bearer token. Expired or unknown tokens are `None`.
    pub fn caller(&self, token: &str, now_ms: i64) -> Option<Caller> {
        if let Some(&app) = self.bearer.get(token) {
            return Some(Caller::App { app });
        }
        let grant = self.access.get(token)?;
        (grant.expires_ms > now_ms).then(|| Caller::User {
            app: grant.app,
            user: grant.user,
            scopes: grant.scopes.clone(),
        })
    }

    /// The app whose client credentials these are (confidential: id and secret;
    /// public: id only, secret `None`).
    pub fn client(&self, client_id: &str, secret: Option<&str>) -> Option<usize> {
        self.apps.iter().position(|a| {
            a.client_id == client_id
                && match (&a.client_secret, secret) {
                    (Some(expected), Some(given)) => expected == given,
                    (None, None) => true,
                    _ => false,
                }
        })
    }

    pub fn app_by_client_id(&self, client_id: &str) -> Option<usize> {
        self.apps.iter().position(|a| a.client_id == client_id)
    }

    pub fn app_by_key(&self, key: &str, secret: &str) -> Option<usize> {
        self.apps
            .iter()
            .position(|a| a.api_key == key && a.api_secret == secret)
    }

    /// App-only bearer token for an app (one per app, stable, like X's).
    pub fn app_bearer(&mut self, app: usize) -> String {
        if let Some((token, _)) = self.bearer.iter().find(|(_, a)| **a == app) {
            return token.clone();
        }
        let token = format!("AAAAAAAAAAAAAAAAAAAAA{}", random_token(80));
        self.bearer.insert(token.clone(), app);
        token
    }

    pub fn issue_code(&mut self, grant: CodeGrant) -> String {
        let code = random_token(64);
        self.codes.insert(code.clone(), grant);
        code
    }

    /// Takes a code (single use) if it is still valid.
    pub fn take_code(&mut self, code: &str, now_ms: i64) -> Result<CodeGrant, &'static str> {
        let grant = self
            .codes
            .remove(code)
            .ok_or("Value passed for the authorization code was invalid.")?;
        if now_ms - grant.issued_ms > CODE_TTL_MS {
            return Err("Value passed for the authorization code was invalid.");
        }
        Ok(grant)
    }

    /// Issues an access token (and a refresh token with `offline.access`).
    pub fn issue_tokens(
        &mut self,
        app: usize,
        user: usize,
        scopes: HashSet<String>,
        now_ms: i64,
    ) -> Issued {
        let access_token = random_token(90);
        self.access.insert(
            access_token.clone(),
            AccessGrant {
                app,
                user,
                scopes: scopes.clone(),
                expires_ms: now_ms + self.token_ttl_secs as i64 * 1000,
            },
        );
        let refresh_token = scopes.contains("offline.access").then(|| {
            let token = random_token(90);
            self.refresh.insert(
                token.clone(),
                RefreshGrant {
                    app,
                    user,
                    scopes: scopes.clone(),
                },
            );
            token
        });
        let mut scope: Vec<&str> = scopes.iter().map(String::as_str).collect();
        scope.sort_unstable();
        Issued {
            access_token,
            refresh_token,
            expires_in: self.token_ttl_secs,
            scope: scope.join(" "),
        }
    }

    /// Refresh with rotation: the old refresh token stops working.
    pub fn refresh(
        &mut self,
        app: usize,
        token: &str,
        now_ms: i64,
    ) -> Result<Issued, &'static str> {
        match self.refresh.get(token) {
            Some(grant) if grant.app == app => {
                let grant = self.refresh.remove(token).expect("present");
                self.spent_refresh.insert(token.to_string());
                Ok(self.issue_tokens(grant.app, grant.user, grant.scopes, now_ms))
            }
            _ => Err("Value passed for the token was invalid."),
        }
    }

    /// Revokes an access or refresh token. Unknown tokens are not an error.
    pub fn revoke(&mut self, app: usize, token: &str) {
        if self.access.get(token).is_some_and(|g| g.app == app) {
            self.access.remove(token);
        }
        if self.refresh.get(token).is_some_and(|g| g.app == app) {
            self.refresh.remove(token);
        }
    }

    /// Makes every access token of this user expire now (for tests of refresh on 401).
    pub fn expire_access_tokens(&mut self) {
        for grant in self.access.values_mut() {
            grant.expires_ms = 0;
        }
    }

    /// Revokes every refresh token (for tests of a refused refresh).
    pub fn revoke_refresh_tokens(&mut self) {
        self.refresh.clear();
    }
}

/// Checks a PKCE verifier against the challenge (S256, case-insensitive, or plain).
pub fn pkce_matches(method: &str, challenge: &str, verifier: &str) -> bool {
    if method.eq_ignore_ascii_case("s256") {
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
    } else {
        verifier == challenge
    }
}

/// Parses `Authorization: Basic base64(id:secret)`.
pub fn basic_credentials(header: &str) -> Option<(String, String)> {
    let encoded = header
        .strip_prefix("Basic ")
        .or_else(|| header.strip_prefix("basic "))?;
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map_or_else(|| s.to_string(), |(_, v)| v.into_owned())
    };
    Some((unescape(id), unescape(secret)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::new(
            vec![App {
                client_id: "cid".into(),
                client_secret: Some("sec".into()),
                api_key: "k".into(),
                api_secret: "s".into(),
            }],
            7200,
        )
    }

    #[test]
    fn refresh_tokens_rotate_and_work_once() {
        let mut a = auth();
        let scopes: HashSet<String> = ["tweet.read", "offline.access"].map(String::from).into();
        let first = a.issue_tokens(0, 0, scopes, 0);
        let old = first.refresh_token.unwrap();
        let second = a.refresh(0, &old, 1).unwrap();
        assert!(second.refresh_token.is_some());
        assert!(a.refresh(0, &old, 2).is_err());
    }

    #[test]
    fn access_tokens_expire() {
        let mut a = auth();
        let t = a.issue_tokens(0, 3, HashSet::new(), 0);
        assert!(a.caller(&t.access_token, 7_199_999).is_some());
        assert!(a.caller(&t.access_token, 7_200_000).is_none());
        assert!(t.refresh_token.is_none());
    }

    #[test]
    fn pkce_s256() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches("S256", challenge, verifier));
        assert!(pkce_matches("s256", challenge, verifier));
        assert!(!pkce_matches("S256", challenge, "wrong"));
    }

    #[test]
    fn basic_header() {
        let h = format!("Basic {}", STANDARD.encode("cid:sec"));
        assert_eq!(basic_credentials(&h), Some(("cid".into(), "sec".into())));
    }
}
