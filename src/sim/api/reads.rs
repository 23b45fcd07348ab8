//! Read endpoints: recent search, the authenticated account, and an account's
//! posts and mentions timelines. All page newest first with opaque tokens.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Params, admit, json_response};
use crate::domain::query;
use crate::sim::auth::Caller;
use crate::sim::error::ApiError;
use crate::sim::limits::{Endpoint, RateHeaders};
use crate::sim::render::{Fields, render_includes, render_post, render_user};
use crate::sim::state::{SimState, now_ms};
use crate::sim::world::{Relation, SimPost, World, id_floor_for_ms};
use crate::x::wire::{Meta, Response as Envelope, Tweet};

const SEARCH_PARAMS: &[&str] = &[
    "query",
    "start_time",
    "end_time",
    "since_id",
    "until_id",
    "max_results",
    "next_token",
    "pagination_token",
    "sort_order",
    "expansions",
    "tweet.fields",
    "media.fields",
    "poll.fields",
    "user.fields",
    "place.fields",
];
const TIMELINE_PARAMS: &[&str] = &[
    "since_id",
    "until_id",
    "max_results",
    "pagination_token",
    "exclude",
    "start_time",
    "end_time",
    "expansions",
    "tweet.fields",
    "media.fields",
    "poll.fields",
    "user.fields",
    "place.fields",
];
const MENTIONS_PARAMS: &[&str] = &[
    "since_id",
    "until_id",
    "max_results",
    "pagination_token",
    "start_time",
    "end_time",
    "expansions",
    "tweet.fields",
    "media.fields",
    "poll.fields",
    "user.fields",
    "place.fields",
];
const SEVEN_DAYS_MS: i64 = 7 * 86_400_000;

fn finish(result: Result<String, ApiError>, rate: &RateHeaders) -> Response {
    match result {
        Ok(body) => json_response(StatusCode::OK, body, rate),
        Err(e) => super::with_rate_headers(e.into_response(), rate),
    }
}

pub async fn search_recent(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let (caller, rate) = match admit(&state, &headers, Endpoint::Search) {
        Ok(ok) => ok,
        Err(refused) => return *refused,
    };
    let params = Params::parse(raw.as_deref());
    finish(search(&state, &caller, &params), &rate)
}

fn search(state: &SimState, caller: &Caller, p: &Params) -> Result<String, ApiError> {
    p.only(SEARCH_PARAMS)?;
    let fields = Fields::for_posts(|k| p.get(k))?;
    let text = p.get("query").unwrap_or_default();
    if text.is_empty() {
        return Err(ApiError::InvalidRequest(vec![(
            "query".into(),
            vec![],
            "The `query` query parameter can not be empty".into(),
        )]));
    }
    let max_len = state.0.options.read().expect("options lock").query_max_len;
    let query = query::parse(&text, max_len)
        .map_err(|e| ApiError::invalid_param("query", &text, e.x_message()))?;
    let max = max_results(p, 10, 10)?;
    if let Some(order) = p.get("sort_order")
        && order != "recency"
        && order != "relevancy"
    {
        return Err(ApiError::invalid_param(
            "sort_order",
            &order,
            format!(
                "The `sort_order` query parameter value [{order}] is not one of [recency,relevancy]"
            ),
        ));
    }
    let now = now_ms();
    let mut window = PageWindow::from_params(p, true)?;
    window.lower = window.lower.max(id_floor_for_ms(now - SEVEN_DAYS_MS));
    if p.get("start_time").is_none() && p.get("end_time").is_none() && p.get("since_id").is_none() {
        // X's default end_time is 30 seconds ago.
        window.upper = window.upper.min(id_floor_for_ms(now - 30_000));
    }
    let world = state.0.world.read().expect("world lock");
    let (page, more) = window.collect(&world, max, |post| {
        !post.is(Relation::Retweet) && query.matches(&world.document(post))
    });
    let (body, users) = render_page(&world, &page, more, &fields);
    drop(world);
    bill(state, caller, &page, &users, false);
    Ok(body)
}

pub async fn users_me(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let (caller, rate) = match admit(&state, &headers, Endpoint::UsersMe) {
        Ok(ok) => ok,
        Err(refused) => return *refused,
    };
    let p = Params::parse(raw.as_deref());
    let result = (|| {
        p.only(&["user.fields", "expansions", "tweet.fields"])?;
        let Caller::User { user, .. } = caller else {
            return Err(ApiError::UnsupportedAuthentication);
        };
        let fields = Fields::for_user(|k| p.get(k))?;
        let world = state.0.world.read().expect("world lock");
        let body = Envelope {
            data: Some(render_user(&world.users[user], &fields)),
            ..Envelope::default()
        };
        Ok(serde_json::to_string(&body).expect("serialisable"))
    })();
    finish(result, &rate)
}

pub async fn user_posts(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    timeline(state, headers, id, raw, Endpoint::UserPosts).await
}

pub async fn user_mentions(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    timeline(state, headers, id, raw, Endpoint::UserMentions).await
}

async fn timeline(
    state: SimState,
    headers: HeaderMap,
    id: String,
    raw: Option<String>,
    endpoint: Endpoint,
) -> Response {
    let (caller, rate) = match admit(&state, &headers, endpoint) {
        Ok(ok) => ok,
        Err(refused) => return *refused,
    };
    let p = Params::parse(raw.as_deref());
    finish(timeline_page(&state, &caller, &id, &p, endpoint), &rate)
}

fn timeline_page(
    state: &SimState,
    caller: &Caller,
    id: &str,
    p: &Params,
    endpoint: Endpoint,
) -> Result<String, ApiError> {
    let mentions = endpoint == Endpoint::UserMentions;
    p.only(if mentions {
        MENTIONS_PARAMS
    } else {
        TIMELINE_PARAMS
    })?;
    let fields = Fields::for_posts(|k| p.get(k))?;
    let user_id = parse_id("id", id)?;
    let max = max_results(p, 5, 10)?;
    let exclude = p.get("exclude").unwrap_or_default();
    for e in exclude.split(',').filter(|e| !e.is_empty()) {
        if e != "replies" && e != "retweets" {
            return Err(ApiError::invalid_param(
                "exclude",
                e,
                format!(
                    "The `exclude` query parameter value [{e}] is not one of [replies,retweets]"
                ),
            ));
        }
    }
    let window = PageWindow::from_params(p, false)?;
    let world = state.0.world.read().expect("world lock");
    let Some(user) = world.user_by_id(user_id) else {
        return Ok(user_not_found(id));
    };
    let (page, more) = window.collect(&world, max, |post| {
        if mentions {
            world.mentions(post, user)
        } else {
            post.author == user
                && !(exclude.contains("replies") && post.is(Relation::Reply))
                && !(exclude.contains("retweets") && post.is(Relation::Retweet))
        }
    });
    let (body, users) = render_page(&world, &page, more, &fields);
    drop(world);
    let owned = matches!(caller, Caller::User { user: me, .. } if *me == user);
    bill(state, caller, &page, &users, owned);
    Ok(body)
}

fn user_not_found(id: &str) -> String {
    serde_json::json!({"errors": [{
        "value": id, "detail": format!("Could not find user with id: [{id}]."),
        "title": "Not Found Error", "resource_type": "user", "parameter": "id", "resource_id": id,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }]})
    .to_string()
}

/// Bills the posts of a page and the accounts expanded into it.
fn bill(state: &SimState, caller: &Caller, page: &[u64], users: &[u64], owned: bool) {
    let mut limits = state.0.limits.lock().expect("limits lock");
    limits.bill_posts(caller.app(), page, owned, now_ms());
    limits.bill_users(caller.app(), users, now_ms());
}

/// Renders a page (`page` holds post ids): the JSON body and the ids of the
/// accounts expanded into it.
fn render_page(world: &World, page: &[u64], more: bool, fields: &Fields) -> (String, Vec<u64>) {
    if page.is_empty() {
        return (r#"{"meta":{"result_count":0}}"#.to_string(), Vec::new());
    }
    let posts: Vec<&SimPost> = page.iter().filter_map(|id| world.post(*id)).collect();
    let data: Vec<Tweet> = posts
        .iter()
        .map(|p| render_post(world, p, fields))
        .collect();
    let (includes, users) = render_includes(world, &posts, fields);
    let last = *page.last().expect("non-empty");
    let body = Envelope {
        data: Some(data),
        includes,
        errors: None,
        meta: Some(Meta {
            newest_id: Some(page[0].to_string()),
            oldest_id: Some(last.to_string()),
            result_count: page.len() as u64,
            next_token: more.then(|| encode_token(last)),
            previous_token: None,
        }),
    };
    (serde_json::to_string(&body).expect("serialisable"), users)
}

/// The id range a request covers: `lower` inclusive, `upper` exclusive.
struct PageWindow {
    lower: u64,
    upper: u64,
}

impl PageWindow {
    fn from_params(p: &Params, search: bool) -> Result<PageWindow, ApiError> {
        let mut w = PageWindow {
            lower: 0,
            upper: u64::MAX,
        };
        if let Some(v) = p.get("since_id") {
            w.lower = w.lower.max(parse_id("since_id", &v)?.saturating_add(1));
        }
        if let Some(v) = p.get("until_id") {
            w.upper = w.upper.min(parse_id("until_id", &v)?);
        }
        if let Some(v) = p.get("start_time") {
            let ms = parse_time("start_time", &v)?;
            if search && ms < now_ms() - SEVEN_DAYS_MS {
                return Err(ApiError::invalid_param(
                    "start_time",
                    &v,
                    format!(
                        "Invalid 'start_time':'{v}'. 'start_time' must be on or after {}",
                        crate::sim::render::format_time(now_ms() - SEVEN_DAYS_MS)
                    ),
                ));
            }
            w.lower = w.lower.max(id_floor_for_ms(ms));
        }
        if let Some(v) = p.get("end_time") {
            w.upper = w.upper.min(id_floor_for_ms(parse_time("end_time", &v)?));
        }
        let token_names: &[&str] = if search {
            &["next_token", "pagination_token"]
        } else {
            &["pagination_token"]
        };
        let tokens: Vec<(&str, String)> = token_names
            .iter()
            .filter_map(|n| p.get(n).map(|v| (*n, v)))
            .collect();
        if tokens.len() > 1 {
            return Err(ApiError::invalid_param(
                "next_token",
                &tokens[0].1,
                "At most one of `next_token` and `pagination_token` may be given",
            ));
        }
        if let Some((name, token)) = tokens.first() {
            let id = decode_token(token).ok_or_else(|| {
                ApiError::invalid_param(
                    name,
                    token,
                    format!("The `{name}` query parameter value [{token}] is not valid"),
                )
            })?;
            w.upper = w.upper.min(id);
        }
        Ok(w)
    }

    /// Up to `max` matching post ids, newest first, and whether more remain.
    fn collect(
        &self,
        world: &World,
        max: usize,
        keep: impl Fn(&SimPost) -> bool,
    ) -> (Vec<u64>, bool) {
        if self.lower >= self.upper {
            return (Vec::new(), false);
        }
        let lo = world.posts.partition_point(|p| p.id < self.lower);
        let hi = world.posts.partition_point(|p| p.id < self.upper);
        let mut page = Vec::with_capacity(max);
        for post in world.posts[lo..hi].iter().rev() {
            if keep(post) {
                if page.len() == max {
                    return (page, true);
                }
                page.push(post.id);
            }
        }
        (page, false)
    }
}

fn max_results(p: &Params, min: u32, default: u32) -> Result<usize, ApiError> {
    let Some(v) = p.get("max_results") else {
        return Ok(default as usize);
    };
    match v.parse::<u32>() {
        Ok(n) if (min..=100).contains(&n) => Ok(n as usize),
        _ => Err(ApiError::invalid_param(
            "max_results",
            &v,
            format!("The `max_results` query parameter value [{v}] is not between {min} and 100"),
        )),
    }
}

fn parse_id(name: &str, v: &str) -> Result<u64, ApiError> {
    let ok = (1..=19).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| v.parse().ok()).flatten().ok_or_else(|| {
        ApiError::invalid_param(
            name,
            v,
            format!("The `{name}` query parameter value [{v}] does not match ^[0-9]{{1,19}}$"),
        )
    })
}

fn parse_time(name: &str, v: &str) -> Result<i64, ApiError> {
    OffsetDateTime::parse(v, &Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| {
            ApiError::invalid_param(
                name,
                v,
                format!(
                    "The `{name}` query parameter value [{v}] is not a valid RFC 3339 date-time"
                ),
            )
        })
}

const TOKEN_KEY: u64 = 0x5DEE_CE66_D1CE_4E5B;

/// An opaque, lower-case page token that names where the next page starts.
fn encode_token(last_id: u64) -> String {
    let mut n = last_id ^ TOKEN_KEY;
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(std::char::from_digit((n % 36) as u32, 36).expect("digit"));
        n /= 36;
    }
    let body: String = digits.iter().rev().collect();
    let check = body.bytes().map(u32::from).sum::<u32>() % 36;
    format!(
        "7140dibdnow9c7btw{body}{}",
        std::char::from_digit(check, 36).expect("digit")
    )
}

fn decode_token(token: &str) -> Option<u64> {
    let rest = token.strip_prefix("7140dibdnow9c7btw")?;
    let (body, check) = rest.split_at(rest.len().checked_sub(1)?);
    let expected = body.bytes().map(u32::from).sum::<u32>() % 36;
    if check != std::char::from_digit(expected, 36)?.to_string() {
        return None;
    }
    u64::from_str_radix(body, 36).ok().map(|n| n ^ TOKEN_KEY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let id = 1_850_000_000_000_000_000;
        let t = encode_token(id);
        assert_eq!(decode_token(&t), Some(id));
        assert!(
            t.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        let mut bad = t.clone();
        bad.pop();
        bad.push(if t.ends_with('a') { 'b' } else { 'a' });
        assert_eq!(decode_token(&bad), None);
    }
}
