//! The X API v2 client: one method per endpoint placewatch uses, pointed at any
//! base URL (the real `https://api.x.com` or the simulator).
//!
//! Reads use the app-only bearer token, except the council's own timeline and
//! mentions, which use the user token so that X bills them as owned reads.
//! GETs retry transport errors and 5xx with jittered exponential backoff; a POST
//! is never retried blindly (only re-sent once after a 401 and a token refresh,
//! when X has certainly not acted on it). Every response's rate-limit headers are
//! returned with it, and partial `errors` in a 200 are surfaced.

use std::time::Duration;

use futures::Stream;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::value::RawValue;
use tracing::{debug, instrument, warn};
use url::Url;

use super::auth::UserSession;
use super::error::XError;
use super::ratelimit::RateLimits;
use super::wire::{self, CreateTweetRequest, CreatedTweet, Meta, Problem, ReferenceKind};
use crate::domain::post::{Author, Post};

/// The fields placewatch asks for on every post-returning endpoint.
pub const TWEET_FIELDS: &str = "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,reply_settings,lang,entities,note_tweet";
pub const EXPANSIONS: &str = "author_id,referenced_tweets.id";
pub const USER_FIELDS: &str = "username,name";

pub const USER_AGENT: &str = concat!("placewatch/", env!("CARGO_PKG_VERSION"));

/// How the user-context token is obtained.
#[derive(Clone)]
pub enum UserAuth {
    /// The logged-in council account, refreshed as needed.
    Session(UserSession),
    /// A fixed token (scripts, tests); no refresh.
    Static(SecretString),
}

/// Backoff for retried GETs.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a random wait up to `base * 2^attempt`, capped.
    fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.base.saturating_mul(1 << attempt.min(16)).min(self.cap);
        ceiling.mul_f64(rand::random::<f64>())
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    bearer: SecretString,
    user: Option<UserAuth>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("user_context", &self.user.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds a client.
pub struct ClientBuilder {
    base: Url,
    bearer: SecretString,
    user: Option<UserAuth>,
    request_timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
}

impl ClientBuilder {
    pub fn user(mut self, user: UserAuth) -> Self {
        self.user = Some(user);
        self
    }
    pub fn timeouts(mut self, connect: Duration, request: Duration) -> Self {
        self.connect_timeout = connect;
        self.request_timeout = request;
        self
    }
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
    pub fn build(self) -> Result<Client, XError> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .build()
            .map_err(XError::Transport)?;
        Ok(Client {
            http,
            base: self.base,
            bearer: self.bearer,
            user: self.user,
            retry: self.retry,
        })
    }
}

/// One page of posts.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub posts: Vec<Post>,
    /// Authors of `posts` (and of included posts), from `includes.users`.
    pub authors: Vec<Author>,
    /// Posts referenced by `posts` (replied to, quoted), from `includes.tweets`.
    pub referenced: Vec<Post>,
    pub meta: Meta,
    /// Partial errors X returned beside the data.
    pub errors: Vec<Problem>,
    pub limits: RateLimits,
}

impl Page {
    pub fn newest_id(&self) -> Option<u64> {
        self.meta.newest_id.as_deref().and_then(|s| s.parse().ok())
    }
}

/// A recent-search request. `since_id` stays the same across the pages of one cycle.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    pub since_id: Option<u64>,
    pub until_id: Option<u64>,
    /// RFC 3339.
    pub start_time: Option<String>,
    pub max_results: Option<u8>,
    pub next_token: Option<String>,
}

/// A timeline (a user's posts or mentions) request.
#[derive(Debug, Clone, Default)]
pub struct TimelineRequest {
    pub since_id: Option<u64>,
    pub until_id: Option<u64>,
    pub max_results: Option<u8>,
    pub pagination_token: Option<String>,
    pub exclude_replies: bool,
    pub exclude_retweets: bool,
}

/// A created post.
#[derive(Debug, Clone)]
pub struct Created {
    pub id: u64,
    pub text: String,
    pub limits: RateLimits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    App,
    User,
}

#[derive(Deserialize)]
struct RawPage<'a> {
    #[serde(borrow, default)]
    data: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    includes: Option<wire::Includes>,
    #[serde(default)]
    errors: Option<Vec<Problem>>,
    #[serde(default)]
    meta: Option<Meta>,
}

impl Client {
    /// A client for `base` (e.g. `https://api.x.com`) with an app-only bearer token.
    pub fn builder(base: Url, bearer: SecretString) -> ClientBuilder {
        ClientBuilder {
            base,
            bearer,
            user: None,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `GET /2/tweets/search/recent`: one page.
    #[instrument(skip_all, fields(since_id = ?req.since_id, paged = req.next_token.is_some()))]
    pub async fn search_recent(&self, req: &SearchRequest) -> Result<Page, XError> {
        let mut q: Vec<(&str, String)> = vec![("query", req.query.clone())];
        push_opt(&mut q, "since_id", req.since_id);
        push_opt(&mut q, "until_id", req.until_id);
        push_opt(&mut q, "start_time", req.start_time.clone());
        push_opt(&mut q, "next_token", req.next_token.clone());
        q.push(("max_results", req.max_results.unwrap_or(100).to_string()));
        push_fields(&mut q);
        self.get_page("/2/tweets/search/recent", &q, Auth::App)
            .await
    }

    /// Every page of a search, following `next_token` with the same `since_id`.
    pub fn search_pages(
        &self,
        req: SearchRequest,
    ) -> impl Stream<Item = Result<Page, XError>> + '_ {
        futures::stream::try_unfold(Some(req), move |state| async move {
            let Some(req) = state else { return Ok(None) };
            let page = self.search_recent(&req).await?;
            let next = page.meta.next_token.clone().map(|token| SearchRequest {
                next_token: Some(token),
                ..req
            });
            Ok(Some((page, next)))
        })
    }

    /// `GET /2/users/me` with the user token.
    #[instrument(skip_all)]
    pub async fn users_me(&self) -> Result<Author, XError> {
        let (r, _) = self
            .get_with_retry(
                "/2/users/me",
                &[("user.fields", USER_FIELDS.to_string())],
                Auth::User,
                |body| decode::<wire::Response<wire::User>>(StatusCode::OK, body),
            )
            .await?;
        let user = r.data.ok_or_else(|| XError::Decode {
            status: 200,
            message: "users/me answered without data".into(),
        })?;
        author(&user).ok_or_else(|| XError::Decode {
            status: 200,
            message: format!("users/me returned a non-numeric id {:?}", user.id),
        })
    }

    /// `GET /2/users/:id/tweets`. Uses the user token when there is one.
    #[instrument(skip_all, fields(user.id = user_id))]
    pub async fn user_posts(&self, user_id: u64, req: &TimelineRequest) -> Result<Page, XError> {
        let mut q = timeline_query(req);
        let exclude: Vec<&str> = [
            (req.exclude_replies, "replies"),
            (req.exclude_retweets, "retweets"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        if !exclude.is_empty() {
            q.push(("exclude", exclude.join(",")));
        }
        self.get_page(&format!("/2/users/{user_id}/tweets"), &q, self.owned_auth())
            .await
    }

    /// `GET /2/users/:id/mentions`. Uses the user token when there is one.
    #[instrument(skip_all, fields(user.id = user_id))]
    pub async fn user_mentions(&self, user_id: u64, req: &TimelineRequest) -> Result<Page, XError> {
        let q = timeline_query(req);
        self.get_page(
            &format!("/2/users/{user_id}/mentions"),
            &q,
            self.owned_auth(),
        )
        .await
    }

    /// `POST /2/tweets` with the user token. Never retried, except once after a
    /// 401 answered by a successful token refresh.
    #[instrument(skip_all, fields(reply_to = req.reply.as_ref().map(|r| r.in_reply_to_tweet_id.as_str())))]
    pub async fn create_post(&self, req: &CreateTweetRequest) -> Result<Created, XError> {
        let url = self.url("/2/tweets")?;
        let mut token = self.token(Auth::User).await?;
        for attempt in 0..2 {
            let response = self
                .http
                .post(url.clone())
                .bearer_auth(token.expose_secret())
                .json(req)
                .send()
                .await
                .map_err(XError::Transport)?;
            let status = response.status();
            let limits = RateLimits::from_headers(response.headers());
            let body = response.bytes().await.map_err(XError::Transport)?;
            if status == StatusCode::UNAUTHORIZED
                && attempt == 0
                && let Some(fresh) = self.refresh_user_token(&token).await?
            {
                token = fresh;
                continue;
            }
            if !status.is_success() {
                return Err(XError::from_response(status, limits, &body));
            }
            let r: wire::Response<CreatedTweet> = decode(status, &body)?;
            let data = r.data.ok_or_else(|| XError::Decode {
                status: status.as_u16(),
                message: "create answered without data".into(),
            })?;
            let id = parse_id(&data.id).ok_or_else(|| XError::Decode {
                status: status.as_u16(),
                message: format!("non-numeric post id {:?}", data.id),
            })?;
            return Ok(Created {
                id,
                text: data.text,
                limits,
            });
        }
        unreachable!("the loop returns on its second attempt")
    }

    fn owned_auth(&self) -> Auth {
        if self.user.is_some() {
            Auth::User
        } else {
            Auth::App
        }
    }

    fn url(&self, path: &str) -> Result<Url, XError> {
        self.base.join(path).map_err(|e| XError::Decode {
            status: 0,
            message: format!("bad URL {path}: {e}"),
        })
    }

    async fn token(&self, auth: Auth) -> Result<SecretString, XError> {
        match (auth, &self.user) {
            (Auth::App, _) => Ok(self.bearer.clone()),
            (Auth::User, Some(UserAuth::Static(token))) => Ok(token.clone()),
            (Auth::User, Some(UserAuth::Session(session))) => {
                session.access_token().await.map_err(XError::Auth)
            }
            (Auth::User, None) => Err(XError::Auth(super::auth::AuthError::NotLoggedIn)),
        }
    }

    /// After a 401 on a user call: a refreshed token, or `None` when no refresh is possible.
    async fn refresh_user_token(
        &self,
        rejected: &SecretString,
    ) -> Result<Option<SecretString>, XError> {
        match &self.user {
            Some(UserAuth::Session(session)) => session
                .refresh_after_unauthorized(rejected)
                .await
                .map(Some)
                .map_err(XError::Auth),
            _ => Ok(None),
        }
    }

    async fn get_page(
        &self,
        path: &str,
        query: &[(&str, String)],
        auth: Auth,
    ) -> Result<Page, XError> {
        let (mut page, limits) = self.get_with_retry(path, query, auth, decode_page).await?;
        page.limits = limits;
        if !page.errors.is_empty() {
            warn!(count = page.errors.len(), "X returned partial errors");
        }
        Ok(page)
    }

    /// GET and decode, retrying transport errors, 5xx and undecodable bodies
    /// (X's answers are sometimes cut short), with one refresh on a user 401.
    async fn get_with_retry<T>(
        &self,
        path: &str,
        query: &[(&str, String)],
        auth: Auth,
        decode: impl Fn(&[u8]) -> Result<T, XError>,
    ) -> Result<(T, RateLimits), XError> {
        let url = self.url(path)?;
        let mut token = self.token(auth).await?;
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            let result = self
                .get_once(&url, query, &token)
                .await
                .and_then(|(body, limits)| Ok((decode(&body)?, limits)));
            match result {
                Err(XError::Unauthorized { .. }) if auth == Auth::User && !refreshed => {
                    refreshed = true;
                    match self.refresh_user_token(&token).await? {
                        Some(fresh) => token = fresh,
                        None => {
                            let (body, limits) = self.get_once(&url, query, &token).await?;
                            return Ok((decode(&body)?, limits));
                        }
                    }
                }
                Err(e) if e.is_retryable() && attempt + 1 < self.retry.attempts => {
                    let wait = self.retry.delay(attempt);
                    debug!(error = %e, attempt, ?wait, "retrying GET");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn get_once(
        &self,
        url: &Url,
        query: &[(&str, String)],
        token: &SecretString,
    ) -> Result<(bytes::Bytes, RateLimits), XError> {
        let response = self
            .http
            .request(Method::GET, url.clone())
            .query(query)
            .bearer_auth(token.expose_secret())
            .send()
            .await
            .map_err(XError::Transport)?;
        let status = response.status();
        let limits = RateLimits::from_headers(response.headers());
        let body = response.bytes().await.map_err(XError::Transport)?;
        if status.is_success() {
            Ok((body, limits))
        } else {
            Err(XError::from_response(status, limits, &body))
        }
    }
}

fn push_opt<T: ToString>(q: &mut Vec<(&str, String)>, name: &'static str, value: Option<T>) {
    if let Some(v) = value {
        q.push((name, v.to_string()));
    }
}

fn push_fields(q: &mut Vec<(&str, String)>) {
    q.push(("tweet.fields", TWEET_FIELDS.to_string()));
    q.push(("expansions", EXPANSIONS.to_string()));
    q.push(("user.fields", USER_FIELDS.to_string()));
}

fn timeline_query(req: &TimelineRequest) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    push_opt(&mut q, "since_id", req.since_id);
    push_opt(&mut q, "until_id", req.until_id);
    push_opt(&mut q, "pagination_token", req.pagination_token.clone());
    q.push(("max_results", req.max_results.unwrap_or(100).to_string()));
    push_fields(&mut q);
    q
}

fn decode<'a, T: Deserialize<'a>>(status: StatusCode, body: &'a [u8]) -> Result<T, XError> {
    serde_json::from_slice(body).map_err(|e| XError::Decode {
        status: status.as_u16(),
        message: e.to_string(),
    })
}

/// Decodes a page, keeping each post's JSON exactly as received.
pub fn decode_page(body: &[u8]) -> Result<Page, XError> {
    let raw: RawPage = decode(StatusCode::OK, body)?;
    let mut posts = Vec::new();
    for value in raw.data.unwrap_or_default() {
        let tweet: wire::Tweet = decode(StatusCode::OK, value.get().as_bytes())?;
        posts.push(to_post(&tweet, value.get())?);
    }
    let includes = raw.includes.unwrap_or_default();
    let referenced = includes
        .tweets
        .iter()
        .map(|t| to_post(t, &serde_json::to_string(t).unwrap_or_default()))
        .collect::<Result<_, _>>()?;
    Ok(Page {
        posts,
        authors: includes.users.iter().filter_map(author).collect(),
        referenced,
        meta: raw.meta.unwrap_or_default(),
        errors: raw.errors.unwrap_or_default(),
        limits: RateLimits::default(),
    })
}

/// X sends `&`, `<` and `>` in post text as HTML entities; placewatch keeps
/// what the resident wrote.
fn unescape_text(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn parse_id(s: &str) -> Option<u64> {
    s.parse().ok()
}

fn author(user: &wire::User) -> Option<Author> {
    Some(Author {
        id: parse_id(&user.id)?,
        username: user.username.clone(),
        name: user.name.clone(),
    })
}

/// Converts a wire post into the domain's `Post`.
fn to_post(t: &wire::Tweet, raw: &str) -> Result<Post, XError> {
    let id = parse_id(&t.id).ok_or_else(|| XError::Decode {
        status: 200,
        message: format!("non-numeric post id {:?}", t.id),
    })?;
    let id_of = |kind| t.referenced(kind).and_then(parse_id);
    Ok(Post {
        id,
        text: unescape_text(t.full_text()),
        author_id: t.author_id.as_deref().and_then(parse_id),
        created_at: t.created_at.clone(),
        conversation_id: t.conversation_id.as_deref().and_then(parse_id),
        in_reply_to_user_id: t.in_reply_to_user_id.as_deref().and_then(parse_id),
        replied_to: id_of(ReferenceKind::RepliedTo),
        quoted: id_of(ReferenceKind::Quoted),
        is_retweet: id_of(ReferenceKind::Retweeted).is_some(),
        lang: t.lang.clone(),
        reply_settings: t.reply_settings.clone(),
        mentions: t
            .entities
            .as_ref()
            .map(|e| e.mentions.iter().map(|m| m.username.clone()).collect())
            .unwrap_or_default(),
        raw: raw.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_page_keeping_raw_json_byte_exact() {
        let body = br#"{"data":[{"id":"20","text":"@yourcroydon bins \u202e&lt;b&gt; &amp;amp;","author_id":"7","referenced_tweets":[{"type":"replied_to","id":"10"}],"entities":{"mentions":[{"start":0,"end":12,"username":"yourcroydon"}]},"future_field":{"x":1}}],"includes":{"users":[{"id":"7","name":"A","username":"a"}],"tweets":[{"id":"10","text":"parent"}]},"errors":[{"title":"Not Found Error","type":"https://api.twitter.com/2/problems/resource-not-found","detail":"gone"}],"meta":{"result_count":1,"newest_id":"20","oldest_id":"20"}}"#;
        let page = decode_page(body).unwrap();
        let post = &page.posts[0];
        assert_eq!(post.text, "@yourcroydon bins \u{202e}<b> &amp;");
        assert_eq!(post.replied_to, Some(10));
        assert_eq!(post.mentions, ["yourcroydon"]);
        assert!(post.raw.contains("future_field"));
        assert!(post.raw.starts_with(r#"{"id":"20""#));
        assert_eq!(page.authors[0].id, 7);
        assert_eq!(page.referenced[0].id, 10);
        assert_eq!(page.errors.len(), 1);
        assert_eq!(page.newest_id(), Some(20));
    }

    #[test]
    fn backoff_is_capped() {
        let p = RetryPolicy::default();
        for attempt in 0..40 {
            assert!(p.delay(attempt) <= p.cap);
        }
    }
}
