//! Referring an item to a team (`POST /items/{id}/refer`: a team and a
//! reason; the email goes after the commit, see `referral`), sending a
//! failed referral again (`POST /referrals/{id}/retry`), and how the item
//! page shows an item's referrals and the teams it may go to.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::Desk;
use super::error::WebError;
use super::guard::Me;
use super::render::{age, back, local_path};
use crate::domain::officer::Permission;
use crate::domain::referral::ReferralState;
use crate::store::{NewReferral, Referral, StoreError, Team};

/// The longest reason an officer may give, in characters (a paragraph or
/// two; the email quotes it whole).
pub(crate) const REASON_MAX_CHARS: usize = 2000;

/// A team in the Refer form's list.
pub(crate) struct TeamChoice {
    pub name: String,
    /// "2 addresses", or why it cannot be chosen.
    pub note: String,
    pub usable: bool,
}

impl TeamChoice {
    pub(crate) fn of(teams: &[Team]) -> Vec<TeamChoice> {
        teams
            .iter()
            .map(|t| TeamChoice {
                name: t.name.clone(),
                note: match t.emails.len() {
                    0 => "no email address".to_owned(),
                    1 => t.emails[0].clone(),
                    n => format!("{n} addresses"),
                },
                usable: !t.emails.is_empty(),
            })
            .collect()
    }
}

/// A referral as the item page shows it.
pub(crate) struct ReferralView {
    pub id: i64,
    pub reference: String,
    pub team: String,
    pub officer: String,
    pub age: String,
    pub reason: String,
    /// "Emailed to streets@… (the server said …)", "Waiting to be sent", …
    pub state: String,
    pub detail: Option<String>,
    pub failed: bool,
    pub can_retry: bool,
}

impl ReferralView {
    pub(crate) fn of(r: Referral, can_retry: bool) -> ReferralView {
        let to = r.recipients.join(", ");
        let (state, detail) = match r.state {
            ReferralState::Sent => (
                format!("Emailed to {to}"),
                r.server_reply.map(|s| format!("The mail server said: {s}")),
            ),
            ReferralState::Queued if r.attempts == 0 => {
                (format!("Waiting to be emailed to {to}"), None)
            }
            ReferralState::Queued => (
                format!(
                    "Not sent yet to {to}: trying again ({} attempts so far)",
                    r.attempts
                ),
                r.last_error,
            ),
            ReferralState::Sending => (format!("Being emailed to {to}"), None),
            ReferralState::Failed => (format!("Not sent to {to}"), r.last_error),
        };
        ReferralView {
            id: r.id,
            reference: r.reference.to_string(),
            team: r.team_name,
            officer: r.officer,
            age: age(&r.created_at),
            reason: r.reason,
            failed: r.state == ReferralState::Failed,
            can_retry: can_retry && r.state == ReferralState::Failed,
            state,
            detail,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReferForm {
    #[serde(default)]
    team: String,
    #[serde(default)]
    reason: String,
    /// Then open the reply box on the holding template, reference filled in.
    #[serde(default)]
    tell_resident: Option<String>,
    #[serde(default)]
    back: Option<String>,
}

/// The first reply template that quotes a referral's reference: the holding
/// reply the Refer form offers to write next.
pub(crate) fn holding_template(desk: &Desk) -> Option<String> {
    desk.config
        .templates
        .list
        .iter()
        .find(|t| t.placeholders().contains(&"reference"))
        .map(|t| t.name().to_owned())
}

/// `POST /items/{id}/refer`: refers the item to the chosen team, for the
/// reason given; the email follows within a second (or when email works).
pub(crate) async fn refer(
    State(desk): State<Desk>,
    me: Me,
    Path(id): Path<i64>,
    Form(form): Form<ReferForm>,
) -> Result<Response, WebError> {
    me.require(Permission::Triage)?;
    let item_page = format!("/items/{id}");
    let to = local_path(form.back.as_deref().or(Some(&item_page)));
    let reason = form.reason.trim();
    if form.team.trim().is_empty() {
        return Ok(back(
            &to,
            &format!("Item {id} not referred: choose a team."),
        ));
    }
    if reason.is_empty() {
        return Ok(back(
            &to,
            &format!("Item {id} not referred: say why the team should act."),
        ));
    }
    if reason.chars().count() > REASON_MAX_CHARS {
        return Ok(back(
            &to,
            &format!(
                "Item {id} not referred: the reason is longer than {REASON_MAX_CHARS} characters."
            ),
        ));
    }
    let new = NewReferral {
        item_id: id,
        team: &form.team,
        reason,
        officer: me.name(),
        message_domain: &desk.config.message_domain(),
    };
    match desk.store.refer(&new).await {
        Ok((_, referral)) => {
            let when = if desk.config.mail.is_some() {
                "the email is on its way"
            } else {
                "the email waits until email is configured (see Status)"
            };
            let mut message = format!(
                "Item {id}: referred to {} as {}; {when}.",
                referral.team_name, referral.reference
            );
            // The holding reply, ready in the composer with the reference.
            let holding = holding_template(&desk).filter(|_| form.tell_resident.is_some());
            let to = match holding {
                Some(name) => {
                    message.push_str(" Your reply to the resident is ready below.");
                    format!("/items/{id}?template={}", super::guard::urlencode(&name))
                }
                None => to,
            };
            Ok(back(&to, &message))
        }
        Err(StoreError::Conflict(why)) => Ok(back(&to, &format!("Item {id} not referred: {why}."))),
        Err(StoreError::Transition(e)) => Ok(back(&to, &format!("Item {id}: {e}."))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct RetryForm {
    #[serde(default)]
    back: Option<String>,
}

/// `POST /referrals/{id}/retry`: queues a failed referral's email again.
pub(crate) async fn retry(
    State(desk): State<Desk>,
    me: Me,
    Path(id): Path<i64>,
    Form(form): Form<RetryForm>,
) -> Result<Response, WebError> {
    me.require(Permission::Triage)?;
    let referral = desk.store.requeue_referral(id, me.name()).await?;
    let item_page = format!("/items/{}", referral.item_id);
    let to = local_path(form.back.as_deref().or(Some(&item_page)));
    Ok(back(
        &to,
        &format!(
            "{} to {}: queued to be sent again.",
            referral.reference, referral.team_name
        ),
    ))
}
