//! The simulator's own control routes under `/_sim/` (not X's): inject posts,
//! read request and billing statistics and the latest requests, ask for the ground truth of a query,
//! inject faults and change settings mid-run. Tests and the demo drive it.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::faults::FaultSpec;
use super::limits::LimitSettings;
use super::state::{SimState, now_ms};
use super::world::{NewPost, Relation, SimUser, id_floor_for_ms};
use crate::domain::query;

pub fn router() -> Router<SimState> {
    Router::new()
        .route("/_sim/posts", post(inject_posts))
        .route("/_sim/stats", get(stats))
        .route("/_sim/requests", get(requests).delete(clear_requests))
        .route("/_sim/truth", get(truth))
        .route("/_sim/faults", post(add_fault).delete(clear_faults))
        .route("/_sim/settings", post(settings))
        .route("/_sim/tokens/expire", post(expire_tokens))
        .route("/_sim/tokens/revoke-refresh", post(revoke_refresh))
        .route("/_sim/credentials", get(credentials))
}

fn bad(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": message.into()})),
    )
        .into_response()
}

/// A post to inject.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Injected {
    pub text: String,
    /// Username; unknown accounts are created.
    pub author: String,
    #[serde(default)]
    pub author_name: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub in_reply_to: Option<String>,
    #[serde(default)]
    pub quote_of: Option<String>,
    #[serde(default)]
    pub retweet_of: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub reply_settings: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum InjectBody {
    Many { posts: Vec<Injected> },
    List(Vec<Injected>),
    One(Injected),
}

async fn inject_posts(State(sim): State<SimState>, Json(body): Json<InjectBody>) -> Response {
    let posts = match body {
        InjectBody::Many { posts } | InjectBody::List(posts) => posts,
        InjectBody::One(p) => vec![p],
    };
    let mut ids = Vec::with_capacity(posts.len());
    let mut world = sim.0.world.write().expect("world lock");
    for p in posts {
        let created_ms = match p
            .created_at
            .as_deref()
            .map(|t| OffsetDateTime::parse(t, &Rfc3339))
        {
            None => now_ms(),
            Some(Ok(t)) => (t.unix_timestamp_nanos() / 1_000_000) as i64,
            Some(Err(e)) => return bad(format!("created_at: {e}")),
        };
        let valid_name = (1..=15).contains(&p.author.len())
            && p.author
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            return bad(format!("author: `{}` is not a valid username", p.author));
        }
        let author = world.user_by_name(&p.author).unwrap_or_else(|| {
            world.add_user(SimUser {
                id: 0,
                name: p.author_name.clone().unwrap_or_else(|| p.author.clone()),
                username: p.author.clone(),
                created_ms: created_ms - 400 * 86_400_000,
                description: None,
                location: None,
                verified: false,
                protected: false,
                followers: 10,
            })
        });
        let reference = [
            (Relation::Reply, &p.in_reply_to),
            (Relation::Quote, &p.quote_of),
            (Relation::Retweet, &p.retweet_of),
        ]
        .into_iter()
        .find_map(|(r, id)| {
            id.as_ref()
                .map(|id| (r, id.parse::<u64>().unwrap_or_default()))
        });
        if let Some((_, target)) = reference
            && world.post(target).is_none()
        {
            return bad(format!("no post {target} to refer to"));
        }
        ids.push(world.add_post(NewPost {
            author,
            text: p.text,
            created_ms,
            reference,
            lang: p.lang.unwrap_or_else(|| "en".into()),
            reply_settings: p.reply_settings.unwrap_or_else(|| "everyone".into()),
            source: "Twitter for iPhone".into(),
        }));
    }
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    (StatusCode::CREATED, Json(json!({ "ids": ids }))).into_response()
}

async fn stats(State(sim): State<SimState>) -> Json<Value> {
    let stats = sim.0.stats.lock().expect("stats lock");
    let limits = sim.0.limits.lock().expect("limits lock");
    let auth = sim.0.auth.lock().expect("auth lock");
    let mut apps = serde_json::Map::new();
    let (mut served, mut twice, mut billable, mut cost) = (0, 0, 0, 0.0);
    for (app, usage) in &limits.usage {
        served += usage.posts_served;
        twice += usage.posts_served_twice;
        billable += usage.billable_post_reads + usage.billable_owned_reads;
        cost += usage.cost_usd;
        apps.insert(auth.apps[*app].client_id.clone(), json!(usage));
    }
    let world = sim.0.world.read().expect("world lock");
    Json(json!({
        "requests": stats.requests,
        "posts_served": served,
        "posts_served_twice": twice,
        "billable_reads": billable,
        "cost_usd": (cost * 1000.0).round() / 1000.0,
        "replies_created": stats.replies_created,
        "posts_created": stats.posts_created,
        "faults_injected": sim.0.faults.lock().expect("faults lock").injected,
        "posts_total": world.posts.len(),
        "apps": apps,
    }))
}

/// The latest X API requests (up to `REQUEST_LOG_LEN`), oldest first, each
/// with its method, path, decoded query parameters and status.
async fn requests(State(sim): State<SimState>) -> Json<Value> {
    let stats = sim.0.stats.lock().expect("stats lock");
    Json(json!({ "requests": stats.log }))
}

async fn clear_requests(State(sim): State<SimState>) -> StatusCode {
    sim.0.stats.lock().expect("stats lock").log.clear();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct TruthParams {
    query: String,
    #[serde(default)]
    since_id: Option<u64>,
}

/// Every post id a search for `query` would match over the whole 7-day window,
/// newest first (no paging, no end-time lag).
async fn truth(State(sim): State<SimState>, Query(p): Query<TruthParams>) -> Response {
    let q = match query::parse(&p.query, 4096) {
        Ok(q) => q,
        Err(e) => return bad(e.x_message()),
    };
    let world = sim.0.world.read().expect("world lock");
    let floor = id_floor_for_ms(now_ms() - 7 * 86_400_000).max(p.since_id.map_or(0, |s| s + 1));
    let ids: Vec<String> = world
        .posts
        .iter()
        .rev()
        .take_while(|post| post.id >= floor)
        .filter(|post| !post.is(Relation::Retweet) && q.matches(&world.document(post)))
        .map(|post| post.id.to_string())
        .collect();
    Json(json!({"count": ids.len(), "ids": ids})).into_response()
}

async fn add_fault(State(sim): State<SimState>, Json(spec): Json<FaultSpec>) -> Response {
    if spec.count.is_none() && spec.probability.is_none() {
        return bad("give `count` or `probability`");
    }
    sim.0.faults.lock().expect("faults lock").rules.push(spec);
    StatusCode::NO_CONTENT.into_response()
}

async fn clear_faults(State(sim): State<SimState>) -> StatusCode {
    sim.0.faults.lock().expect("faults lock").rules.clear();
    StatusCode::NO_CONTENT
}

/// Settings that can change while running.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    token_ttl_secs: Option<u64>,
    #[serde(default)]
    auto_approve: Option<bool>,
    #[serde(default)]
    enterprise: Option<bool>,
    #[serde(default)]
    query_max_len: Option<usize>,
    #[serde(default)]
    rate_per_min: Option<f64>,
    #[serde(default)]
    limits: Option<LimitSettings>,
}

async fn settings(State(sim): State<SimState>, Json(s): Json<Settings>) -> StatusCode {
    let mut o = sim.0.options.write().expect("options lock");
    if let Some(v) = s.token_ttl_secs {
        o.token_ttl_secs = v;
        sim.0.auth.lock().expect("auth lock").token_ttl_secs = v;
    }
    if let Some(v) = s.auto_approve {
        o.auto_approve = v;
    }
    if let Some(v) = s.enterprise {
        o.enterprise = v;
    }
    if let Some(v) = s.query_max_len {
        o.query_max_len = v;
    }
    if let Some(v) = s.rate_per_min {
        o.rate_per_min = v;
    }
    if let Some(v) = s.limits {
        let mut limits = sim.0.limits.lock().expect("limits lock");
        limits.settings = v;
        limits.reset_windows();
    }
    StatusCode::NO_CONTENT
}

async fn expire_tokens(State(sim): State<SimState>) -> StatusCode {
    sim.0.auth.lock().expect("auth lock").expire_access_tokens();
    StatusCode::NO_CONTENT
}

async fn revoke_refresh(State(sim): State<SimState>) -> StatusCode {
    sim.0
        .auth
        .lock()
        .expect("auth lock")
        .revoke_refresh_tokens();
    StatusCode::NO_CONTENT
}

async fn credentials(State(sim): State<SimState>) -> Json<super::Credentials> {
    Json(sim.credentials())
}
