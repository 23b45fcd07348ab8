//! The reply composer: a template rendered for an item and its officer, the
//! check the page runs as the officer types (weighted length, whether X
//! would take it, the cost; the same code the outbox runs), and sending —
//! through the outbox, which records before it sends and sends once.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};

use super::Desk;
use super::error::WebError;
use super::guard::Me;
use super::item::{ItemQuery, page_of};
use super::render::{back, local_path, wants_json, x_link};
use crate::domain::officer::{Permission, Role};
use crate::domain::outbox::intent_url;
use crate::domain::text::{
    MAX_WEIGHTED_LENGTH, RenderContext, ReplyCost, ReplyText, Template, weighted_length,
};
use crate::domain::triage::ReplyPath;
use crate::reply::{ReplyError, ReplyOutcome, ReplyRequest};
use crate::store::{ItemRow, StoreError};

/// The composer's verdict on a text.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Check {
    pub text: String,
    pub weighted_length: usize,
    pub max: usize,
    pub valid: bool,
    pub reason: Option<String>,
    pub cost_usd: f64,
    pub cost: String,
    pub priced_as: &'static str,
    /// X's web intent for this text (manual path).
    pub intent_url: Option<String>,
    /// "The link raises this reply's cost from $0.010 to $0.200.", when it does.
    pub link_warning: Option<String>,
}

impl Check {
    pub(crate) fn new(desk: &Desk, item: &ItemRow, text: String) -> Check {
        let weighted = weighted_length(&text).weighted;
        let reason = ReplyText::parse(text.as_str()).err().map(|e| e.to_string());
        let manual = item.reply_path == ReplyPath::Manual;
        let prices = desk.config.budget.reply_prices();
        let cost = ReplyCost::for_text(&text, item.flags.summoned, &prices);
        let (cost_usd, cost_text, priced_as) = if manual {
            (
                0.0,
                "nothing through the API: you post it in X".to_owned(),
                "manual",
            )
        } else {
            (
                cost.usd,
                format!("${:.3} ({})", cost.usd, cost.rate.describe()),
                cost.rate.as_str(),
            )
        };
        let link_warning = cost
            .without_link(item.flags.summoned, &prices)
            .filter(|_| !manual)
            .map(|plain| {
                format!(
                    "The link raises this reply's cost from ${:.3} to ${:.3}.",
                    plain.usd, cost.usd
                )
            });
        Check {
            link_warning,
            intent_url: manual.then(|| intent_url(item.post.id, &text)),
            weighted_length: weighted,
            max: MAX_WEIGHTED_LENGTH,
            valid: reason.is_none(),
            reason,
            cost_usd,
            cost: cost_text,
            priced_as,
            text,
        }
    }
}

/// The reply a template gives for an item, written by `me`, quoting the
/// item's latest referral; with why it cannot go as it is (it quotes a
/// referral the item does not have).
pub(crate) async fn render_template(
    desk: &Desk,
    item: &ItemRow,
    template: &Template,
    me: &Me,
    welsh: bool,
) -> Result<(String, Option<String>), WebError> {
    let mut ctx = RenderContext::for_post(
        item.author.as_ref(),
        &item.places,
        &me.officer.display_name,
        desk.council.handle(),
        &desk.config.templates.vars,
    );
    if let Some(referral) = desk.store.referrals_of(item.id).await?.pop() {
        ctx = ctx.with_referral(&referral.reference.to_string(), &referral.team_name);
    }
    let welsh = welsh && template.welsh().is_some();
    let problem = template
        .missing_values(&ctx, welsh)
        .iter()
        .any(|p| *p == "reference" || *p == "team")
        .then(|| {
            format!(
                "the template “{}” quotes a referral: refer the item to a team first",
                template.name()
            )
        });
    Ok((template.render(&ctx, welsh), problem))
}

pub(crate) fn find_template<'d>(desk: &'d Desk, name: &str) -> Result<&'d Template, WebError> {
    desk.config
        .templates
        .get(name)
        .ok_or_else(|| WebError::NotFound(format!("no reply template called {name:?}")))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReplyForm {
    #[serde(default)]
    template: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    welsh: Option<String>,
    #[serde(default, rename = "override")]
    override_duplicate: Option<String>,
    /// The officer replies over another officer's claim, knowingly.
    #[serde(default)]
    over_claim: Option<String>,
    /// Where to come back to (the item's page when absent).
    #[serde(default)]
    back: Option<String>,
}

/// `POST /items/{id}/reply/check`: the rendered text (from a template when
/// no text is given), its weighted length, whether X would take it, its cost.
pub(crate) async fn check(
    State(desk): State<Desk>,
    me: Me,
    Path(id): Path<i64>,
    Json(form): Json<ReplyForm>,
) -> Result<Response, WebError> {
    let item = desk.store.item(id).await?;
    let text = if form.text.is_empty() && !form.template.is_empty() {
        let t = find_template(&desk, &form.template)?;
        let welsh = form.welsh.as_deref().is_some_and(|w| w == "1" || w == "on");
        render_template(&desk, &item, t, &me, welsh).await?.0
    } else {
        form.text
    };
    Ok(Json(Check::new(&desk, &item, text)).into_response())
}

/// `POST /items/{id}/reply`: records and sends the reply (or records it for
/// approval, or for the officer to post in X), then shows what became of it.
pub(crate) async fn reply(
    State(desk): State<Desk>,
    me: Me,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Form(form): Form<ReplyForm>,
) -> Result<Response, WebError> {
    me.require(Permission::Reply)?;
    let outbox = desk.outbox.clone().ok_or_else(|| {
        WebError::Unavailable(
            "The council account is not logged in, so replies cannot be recorded or sent. \
             See the Status page for how to log it in."
                .into(),
        )
    })?;
    let template = match form.template.as_str() {
        "" => None,
        name => Some(find_template(&desk, name)?),
    };
    let text = if form.text.is_empty() {
        match template {
            Some(t) => {
                let item = desk.store.item(id).await?;
                let welsh = form.welsh.as_deref().is_some_and(|w| w == "1" || w == "on");
                let (text, problem) = render_template(&desk, &item, t, &me, welsh).await?;
                if let Some(problem) = problem {
                    return Err(WebError::Refused {
                        status: StatusCode::CONFLICT,
                        message: format!("Not sent: {problem}."),
                    });
                }
                text
            }
            None => String::new(),
        }
    } else {
        form.text.clone()
    };
    // Refuse a bad text before anything is recorded, keeping the officer's words.
    if let Err(e) = ReplyText::parse(text.as_str()) {
        if wants_json(&headers) {
            return Err(WebError::Refused {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: e.to_string(),
            });
        }
        let q = ItemQuery {
            template: Some(form.template.clone()),
            ..Default::default()
        };
        return page_of(&desk, &me, id, q, Some((text, e.to_string()))).await;
    }
    let needs_approval = template.is_some_and(Template::requires_approval)
        || (desk.config.desk.officer_replies_need_approval && me.officer.role == Role::Officer);
    let request = ReplyRequest {
        template: template.map(Template::name),
        override_duplicate: form.override_duplicate.is_some() && me.can(Permission::Administer),
        over_claim: form.over_claim.is_some(),
        needs_approval,
        ..ReplyRequest::new(id, &text, me.name())
    };
    let outcome = match outbox.submit_request(&request).await {
        // Someone else's claim: ask first, keeping the officer's words.
        Err(ReplyError::Store(e @ StoreError::Claimed { .. })) if !wants_json(&headers) => {
            let q = ItemQuery {
                template: Some(form.template.clone()),
                ..Default::default()
            };
            return page_of(&desk, &me, id, q, Some((text, e.to_string()))).await;
        }
        other => other?,
    };
    let message = describe_outcome(&outcome);
    if wants_json(&headers) {
        return Ok(
            Json(serde_json::json!({ "message": message, "outcome": outcome })).into_response(),
        );
    }
    let to = form.back.as_deref().filter(|b| !b.is_empty());
    Ok(back(
        &local_path(to.or(Some(&format!("/items/{id}")))),
        &message,
    ))
}

/// What an officer is told about a reply's outcome.
pub(crate) fn describe_outcome(outcome: &ReplyOutcome) -> String {
    match outcome {
        ReplyOutcome::Sent { reply } => format!(
            "Reply sent: {}",
            reply.x_post_id.map(x_link).unwrap_or_default()
        ),
        ReplyOutcome::Manual { reason, .. } => match reason {
            Some(reason) => format!(
                "X refused an API reply ({reason}). Open it in X to post it yourself; \
                 placewatch links it when it appears."
            ),
            None => "Only a person can reply to this post: open the prepared reply in X and \
                     post it; placewatch links it when it appears."
                .into(),
        },
        ReplyOutcome::AwaitingApproval { .. } => {
            "Reply recorded; it waits for an approver before it is sent.".into()
        }
        ReplyOutcome::Draft { .. } => "Draft saved.".into(),
        ReplyOutcome::Failed { reason, .. } => {
            format!("The reply was not sent: {reason}. You may retry it.")
        }
        ReplyOutcome::Unknown { cause, .. } => format!(
            "X's answer did not arrive ({cause}); the reply will be checked against the \
             council's timeline and never sent twice."
        ),
    }
}
