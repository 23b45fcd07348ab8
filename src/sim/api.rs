//! The X API v2 routes: the router, the checks every request goes through
//! (authentication, rate limits, caps) and the response headers X sends.

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::auth::Caller;
use super::error::ApiError;
use super::limits::{Endpoint, RateHeaders, Refusal};
use super::state::{LoggedRequest, REQUEST_LOG_LEN, SimState, now_ms};
use super::{control, faults, oauth};

mod posts;
mod reads;

pub fn router(state: SimState) -> Router {
    let x = Router::new()
        .route("/2/tweets/search/recent", get(reads::search_recent))
        .route("/2/users/me", get(reads::users_me))
        .route("/2/users/{id}/tweets", get(reads::user_posts))
        .route("/2/users/{id}/mentions", get(reads::user_mentions))
        .route("/2/tweets", post(posts::create_post))
        .route("/i/oauth2/authorize", get(oauth::authorize_page))
        .route("/i/oauth2/authorize/consent", post(oauth::consent))
        .route("/2/oauth2/token", post(oauth::token))
        .route("/2/oauth2/revoke", post(oauth::revoke))
        .route("/oauth2/token", post(oauth::app_token))
        // The counter wraps the faults, so injected answers are counted too.
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
        ))
        .route_layer(middleware::from_fn_with_state(state.clone(), count_request));
    x.merge(control::router())
        .fallback(not_found)
        .layer(middleware::from_fn(common_headers))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("Sorry, that page does not exist".into())
}

/// Counts requests per route and status for `/_sim/stats`, and logs the
/// latest for `/_sim/requests`.
async fn count_request(State(state): State<SimState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_string(),
        |p| p.as_str().to_string(),
    );
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let query = Params::parse(request.uri().query()).0;
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let key = format!("{method} {route} {status}");
    let mut stats = state.0.stats.lock().expect("stats lock");
    *stats.requests.entry(key).or_default() += 1;
    if stats.log.len() == REQUEST_LOG_LEN {
        stats.log.pop_front();
    }
    stats.log.push_back(LoggedRequest {
        method: method.to_string(),
        path,
        query,
        status,
    });
    drop(stats);
    response
}

/// Headers X puts on every response.
async fn common_headers(request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert("api-version", HeaderValue::from_static("2.166"));
    h.insert(
        "x-transaction-id",
        HeaderValue::from_str(&super::auth::random_token(16)).expect("ascii"),
    );
    h.insert(
        "x-response-time",
        HeaderValue::from(started.elapsed().as_millis() as u64),
    );
    response
}

/// Authenticates and admits a request to `endpoint`. On refusal the error
/// response already carries the rate-limit headers.
pub(super) fn admit(
    state: &SimState,
    headers: &HeaderMap,
    endpoint: Endpoint,
) -> Result<(Caller, RateHeaders), Box<Response>> {
    let now = now_ms();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let caller = token.and_then(|t| state.0.auth.lock().expect("auth lock").caller(t, now));
    let Some(caller) = caller else {
        return Err(Box::new(ApiError::Unauthorized.into_response()));
    };
    let (rate, refusal) = state
        .0
        .limits
        .lock()
        .expect("limits lock")
        .admit(endpoint, &caller, now);
    let Some(refusal) = refusal else {
        return Ok((caller, rate));
    };
    let legacy = state
        .0
        .limits
        .lock()
        .expect("limits lock")
        .settings
        .legacy_429_body;
    let error = match refusal {
        Refusal::RateLimited => ApiError::TooManyRequests { legacy },
        Refusal::UsageCapped => ApiError::UsageCapExceeded,
        Refusal::CreditsDepleted => ApiError::CreditsDepleted,
    };
    Err(Box::new(with_rate_headers(error.into_response(), &rate)))
}

pub(super) fn with_rate_headers(mut response: Response, rate: &RateHeaders) -> Response {
    let h = response.headers_mut();
    if let Some(w) = rate.window {
        h.insert("x-rate-limit-limit", HeaderValue::from(w.limit));
        h.insert("x-rate-limit-remaining", HeaderValue::from(w.remaining));
        h.insert("x-rate-limit-reset", HeaderValue::from(w.reset));
    }
    if let Some(w) = rate.app_day {
        h.insert("x-app-limit-24hour-limit", HeaderValue::from(w.limit));
        h.insert(
            "x-app-limit-24hour-remaining",
            HeaderValue::from(w.remaining),
        );
        h.insert("x-app-limit-24hour-reset", HeaderValue::from(w.reset));
    }
    if let Some(w) = rate.user_day {
        h.insert("x-user-limit-24hour-limit", HeaderValue::from(w.limit));
        h.insert(
            "x-user-limit-24hour-remaining",
            HeaderValue::from(w.remaining),
        );
        h.insert("x-user-limit-24hour-reset", HeaderValue::from(w.reset));
    }
    response
}

/// A JSON success body with the right content type and rate headers.
pub(super) fn json_response(
    status: axum::http::StatusCode,
    body: String,
    rate: &RateHeaders,
) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    with_rate_headers(r, rate)
}

/// Query parameters in order, with duplicates, decoded.
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Params {
        Params(
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// X refuses parameters an endpoint does not take.
    pub fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.0.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            None => Ok(()),
            Some((k, v)) => Err(ApiError::invalid_param(
                k,
                v,
                format!(
                    "The query parameter [{k}] is not one of [{}]",
                    allowed.join(",")
                ),
            )),
        }
    }
}
