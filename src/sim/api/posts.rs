//! `POST /2/tweets`: creating a post or a reply, with X's checks in X's order:
//! user-context auth with `tweet.write`, rate limits, the body schema, the
//! weighted length, the 2026 reply restriction for self-serve access, the
//! author's conversation controls, and duplicate content.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{admit, json_response, with_rate_headers};
use crate::domain::text;
use crate::sim::auth::Caller;
use crate::sim::error::ApiError;
use crate::sim::limits::Endpoint;
use crate::sim::state::{SimState, now_ms};
use crate::sim::world::{NewPost, Relation, SimPost, World};
use crate::x::wire::{CreateTweetRequest, CreatedTweet, Response as Envelope};

pub const RESTRICTED_DETAIL: &str =
    "You can only reply to or quote posts where you are mentioned or are the author.";
pub const CONVERSATION_DETAIL: &str = "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.";
pub const QUOTE_CONVERSATION_DETAIL: &str = "Quoting this post is not allowed because you have not been mentioned or are not part of the conversation thread of the post you are quoting.";
pub const DUPLICATE_DETAIL: &str = "You are not allowed to create a Tweet with duplicate content.";
pub const TOO_LONG: &str = "Your Tweet text is too long.";
const DUPLICATE_WINDOW_MS: i64 = 24 * 3_600_000;

pub async fn create_post(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (caller, rate) = match admit(&state, &headers, Endpoint::CreatePost) {
        Ok(ok) => ok,
        Err(refused) => return *refused,
    };
    match create(&state, &caller, &body) {
        Ok(created) => {
            let body = serde_json::to_string(&Envelope {
                data: Some(created),
                ..Envelope::default()
            })
            .expect("serialisable");
            json_response(StatusCode::CREATED, body, &rate)
        }
        Err(e) => with_rate_headers(e.into_response(), &rate),
    }
}

fn create(state: &SimState, caller: &Caller, body: &[u8]) -> Result<CreatedTweet, ApiError> {
    let Caller::User { app, user, scopes } = caller else {
        return Err(ApiError::UnsupportedAuthentication);
    };
    if !scopes.contains("tweet.write") {
        return Err(ApiError::Forbidden(
            "You are not permitted to perform this action. The token lacks the tweet.write scope."
                .into(),
        ));
    }
    let request = parse_body(body)?;
    let text = request.text.clone().unwrap_or_default();
    if text.trim().is_empty() && request.media.is_none() && request.poll.is_none() {
        return Err(ApiError::InvalidBody(
            "$.text: must be present and not empty unless media or poll is attached".into(),
        ));
    }
    let length = text::weighted_length(&text);
    if length.weighted > text::MAX_WEIGHTED_LENGTH {
        return Err(ApiError::InvalidRequest(vec![(
            "text".into(),
            vec![text.clone()],
            TOO_LONG.into(),
        )]));
    }
    let enterprise = state.0.options.read().expect("options lock").enterprise;
    let now = now_ms();
    let mut world = state.0.world.write().expect("world lock");
    let mut reference = None;
    let mut summoned = false;
    if let Some(reply) = &request.reply {
        let target = target_post(
            &world,
            "reply.in_reply_to_tweet_id",
            &reply.in_reply_to_tweet_id,
        )?;
        summoned = may_engage(&world, target, *user);
        check_engagement(&world, target, *user, enterprise, false)?;
        reference = Some((Relation::Reply, target.id));
    }
    if let Some(quote) = &request.quote_tweet_id {
        let target = target_post(&world, "quote_tweet_id", quote)?;
        check_engagement(&world, target, *user, enterprise, true)?;
        reference = reference.or(Some((Relation::Quote, target.id)));
    }
    let duplicate = world
        .posts
        .iter()
        .rev()
        .take_while(|p| p.created_ms > now - DUPLICATE_WINDOW_MS)
        .any(|p| p.author == *user && p.text == text);
    if duplicate {
        return Err(ApiError::Forbidden(DUPLICATE_DETAIL.into()));
    }
    let id = world.add_post(NewPost {
        author: *user,
        text: text.clone(),
        created_ms: now,
        reference,
        lang: "en".into(),
        reply_settings: request
            .reply_settings
            .clone()
            .unwrap_or_else(|| "everyone".into()),
        source: "placewatch".into(),
    });
    drop(world);
    state
        .0
        .limits
        .lock()
        .expect("limits lock")
        .bill_create(*app, length.urls > 0, summoned);
    let mut stats = state.0.stats.lock().expect("stats lock");
    stats.posts_created += 1;
    if request.reply.is_some() {
        stats.replies_created += 1;
    }
    Ok(CreatedTweet {
        id: id.to_string(),
        text,
        edit_history_tweet_ids: Some(vec![id.to_string()]),
    })
}

fn parse_body(body: &[u8]) -> Result<CreateTweetRequest, ApiError> {
    serde_json::from_slice::<CreateTweetRequest>(body).map_err(|e| {
        let message = e.to_string();
        let message = match message.strip_prefix("unknown field `") {
            Some(rest) => {
                let field = rest.split('`').next().unwrap_or_default();
                format!("$.{field}: is not defined in the schema and the schema does not allow additional properties")
            }
            None if e.is_syntax() || e.is_eof() => format!("Invalid JSON body: {message}"),
            None => format!("$: {message}"),
        };
        ApiError::InvalidBody(message)
    })
}

fn target_post<'w>(world: &'w World, name: &str, id: &str) -> Result<&'w SimPost, ApiError> {
    let post = id.parse::<u64>().ok().and_then(|n| world.post(n));
    post.ok_or_else(|| {
        ApiError::invalid_param(name, id, format!("The `{name}` value [{id}] does not refer to a post that exists or that you can see."))
    })
}

/// The 2026 rule: the author mentioned the account, quoted one of its posts,
/// replied to one of its posts, or the post is the account's own.
fn may_engage(world: &World, target: &SimPost, user: usize) -> bool {
    target.author == user
        || world.mentions(target, user)
        || matches!(target.reference, Some((Relation::Quote | Relation::Reply, _, a)) if a == user)
}

fn check_engagement(
    world: &World,
    target: &SimPost,
    user: usize,
    enterprise: bool,
    quote: bool,
) -> Result<(), ApiError> {
    if !enterprise && !may_engage(world, target, user) {
        return Err(ApiError::Forbidden(RESTRICTED_DETAIL.into()));
    }
    let open = target.reply_settings == "everyone"
        || target.author == user
        || world.mentions(target, user);
    if !open {
        let detail = if quote {
            QUOTE_CONVERSATION_DETAIL
        } else {
            CONVERSATION_DETAIL
        };
        return Err(ApiError::Forbidden(detail.into()));
    }
    Ok(())
}
