//! An officer's own notification settings (`GET/POST /settings`): her email
//! address and whether to hear of her work at once, as a daily digest at a
//! time she picks (UK time), or only in the desk. Every role has it.
//! Administrators set another officer's address on the officers page
//! (`officers::set_email`). Both go through `Store::set_officer_contact`,
//! audited as `officer.contact_changed`.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Desk;
use super::approvals::DoneQuery;
use super::error::WebError;
use super::guard::Me;
use super::render::{Chrome, back, html};
use crate::domain::mail::Address;
use crate::domain::team::{DigestAt, Notify};
use crate::store::OfficerContact;

#[derive(Debug, Deserialize)]
pub(crate) struct SettingsForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    notify: String,
    #[serde(default)]
    digest_at: String,
}

/// The form's values as typed, and what was wrong with them.
#[derive(Debug, Default)]
struct Errors {
    email: Option<String>,
    notify: Option<String>,
    digest_at: Option<String>,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    username: String,
    email: String,
    notify: &'static str,
    digest_at: String,
    errors: Errors,
}

impl SettingsPage {
    fn has_errors(&self) -> bool {
        self.errors.email.is_some()
            || self.errors.notify.is_some()
            || self.errors.digest_at.is_some()
    }
}

/// An email address typed into a form: blank is none; otherwise a bare
/// address, as lettre reads it.
pub(crate) fn parse_email(raw: &str) -> Result<Option<String>, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    value
        .parse::<Address>()
        .map(|a| Some(a.to_string()))
        .map_err(|_| {
            format!("“{value}” is not an email address (for example sam.jones@croydon.gov.uk)")
        })
}

/// A digest time from `<input type="time">`: `HH:MM`, or `HH:MM:SS` with
/// no seconds (some browsers send them).
fn parse_time(raw: &str) -> Option<DigestAt> {
    let value = raw.trim();
    let value = value
        .strip_suffix(":00")
        .filter(|v| v.len() == 5)
        .unwrap_or(value);
    DigestAt::parse(value)
}

fn parse(form: &SettingsForm) -> Result<OfficerContact, Errors> {
    let mut errors = Errors::default();
    let email = parse_email(&form.email)
        .map_err(|e| errors.email = Some(e))
        .ok()
        .flatten();
    let notify = Notify::parse(&form.notify);
    if notify.is_none() {
        errors.notify = Some("Choose how to hear of your work".into());
    }
    let digest_at = parse_time(&form.digest_at);
    if digest_at.is_none() && (notify == Some(Notify::Digest) || !form.digest_at.trim().is_empty())
    {
        errors.digest_at = Some("Give a time as HH:MM, for example 08:00".into());
    }
    if notify != Some(Notify::None) && email.is_none() && errors.email.is_none() {
        errors.email =
            Some("Give an email address, or choose “Never: only in the desk” below".into());
    }
    match (notify, errors.email.is_none() && errors.digest_at.is_none()) {
        (Some(notify), true) => Ok(OfficerContact {
            email,
            notify,
            digest_at: digest_at.unwrap_or_default(),
        }),
        _ => Err(errors),
    }
}

async fn render(
    desk: &Desk,
    me: &Me,
    done: Option<String>,
    values: (String, &'static str, String),
    errors: Errors,
) -> Result<Response, WebError> {
    let chrome = Chrome::new(desk, me, "settings").await?.with_flash(done);
    let (email, notify, digest_at) = values;
    html(&SettingsPage {
        chrome,
        username: me.officer.username.clone(),
        email,
        notify,
        digest_at,
        errors,
    })
}

/// `GET /settings`.
pub(crate) async fn page(
    State(desk): State<Desk>,
    me: Me,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let contact = desk
        .store
        .officer_contact(me.name())
        .await?
        .unwrap_or_default();
    let values = (
        contact.email.unwrap_or_default(),
        contact.notify.as_str(),
        contact.digest_at.to_string(),
    );
    render(&desk, &me, q.done, values, Errors::default()).await
}

/// `POST /settings`.
pub(crate) async fn save(
    State(desk): State<Desk>,
    me: Me,
    Form(form): Form<SettingsForm>,
) -> Result<Response, WebError> {
    match parse(&form) {
        Ok(contact) => {
            desk.store
                .set_officer_contact(me.name(), &contact, me.name())
                .await?;
            let done = match (&contact.email, contact.notify) {
                (_, Notify::None) => "Saved: you will hear of your work only in the desk.".into(),
                (Some(e), Notify::Immediately) => {
                    format!("Saved: emails go to {e} as things happen.")
                }
                (Some(e), Notify::Digest) => {
                    format!(
                        "Saved: a daily digest goes to {e} at {} (UK time).",
                        contact.digest_at
                    )
                }
                (None, _) => "Saved.".into(),
            };
            Ok(back("/settings", &done))
        }
        Err(errors) => {
            let notify = Notify::parse(&form.notify).map_or("", Notify::as_str);
            let values = (form.email.clone(), notify, form.digest_at.clone());
            let page = render(&desk, &me, None, values, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(email: &str, notify: &str, digest_at: &str) -> SettingsForm {
        SettingsForm {
            email: email.into(),
            notify: notify.into(),
            digest_at: digest_at.into(),
        }
    }

    #[test]
    fn settings_are_checked_field_by_field() {
        let c = parse(&form(" sam@croydon.gov.uk ", "digest", "07:30:00")).unwrap();
        assert_eq!(c.email.as_deref(), Some("sam@croydon.gov.uk"));
        assert_eq!(
            (c.notify, c.digest_at.to_string()),
            (Notify::Digest, "07:30".into())
        );
        let c = parse(&form("", "none", "08:00")).unwrap();
        assert_eq!((c.email, c.notify), (None, Notify::None));

        let e = parse(&form("Sam <sam@x", "digest", "25:00")).unwrap_err();
        assert!(e.email.unwrap().contains("is not an email address"));
        assert!(e.digest_at.unwrap().contains("HH:MM"));
        let e = parse(&form("", "immediately", "08:00")).unwrap_err();
        assert!(e.email.unwrap().starts_with("Give an email address"));
        let e = parse(&form("sam@croydon.gov.uk", "weekly", "08:00")).unwrap_err();
        assert!(e.notify.is_some());
    }
}
