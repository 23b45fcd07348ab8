//! A team as an administrator sets it, in the desk or with `placewatch
//! teams`: the form as typed ([`TeamForm`]) checked by the config's rules
//! into a [`TeamEdit`], or every error found, each for its field.

use super::{
    EnvNameError, TeamAddressError, TeamNameError, check_env_name, parse_team_address,
    parse_team_name,
};
use crate::domain::mail::Address;
use crate::domain::officer::{CredentialError, check_username};

/// A team as an administrator sets it in the desk, checked by the config's
/// rules: what `Store::add_team` and `Store::update_team` take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamEdit {
    /// As [`parse_team_name`] leaves it.
    pub name: String,
    /// Where referrals go; at least one, no repeats, in the order typed.
    pub emails: Vec<Address>,
    /// Officers' usernames, sorted, without repeats (whether each is an
    /// officer is the store's business).
    pub members: Vec<String>,
    pub teams_webhook_env: Option<String>,
    pub slack_webhook_env: Option<String>,
}

/// The desk's team form as typed: addresses one a line, members ticked,
/// webhook variables' names (blank: none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamForm {
    pub name: String,
    pub emails: String,
    pub members: Vec<String>,
    pub teams_webhook_env: String,
    pub slack_webhook_env: String,
}

/// The form field a [`TeamEditError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamField {
    Name,
    Emails,
    Members,
    TeamsWebhookEnv,
    SlackWebhookEnv,
}

/// Why a team form is refused, field by field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamEditError {
    #[error("the name {0}")]
    Name(TeamNameError),
    #[error("list at least one address referrals to this team go to")]
    NoEmails,
    #[error("line {line}: {error}")]
    Email {
        line: usize,
        error: TeamAddressError,
    },
    #[error("line {line}: {value} is listed twice")]
    RepeatedEmail { line: usize, value: String },
    #[error("{value:?} is not a username: {error}")]
    Member {
        value: String,
        error: CredentialError,
    },
    #[error("{error}")]
    WebhookEnv {
        field: TeamField,
        error: EnvNameError,
    },
    /// A variable the config already uses for a secret (`x.client_secret_env`).
    #[error("is the variable {key} names; a webhook needs its own")]
    WebhookEnvTaken { field: TeamField, key: String },
    #[error("is also the Microsoft Teams webhook's variable; give each channel its own")]
    SameWebhookEnv,
}

impl TeamEditError {
    /// The field to show the error beside.
    pub fn field(&self) -> TeamField {
        match self {
            TeamEditError::Name(_) => TeamField::Name,
            TeamEditError::NoEmails
            | TeamEditError::Email { .. }
            | TeamEditError::RepeatedEmail { .. } => TeamField::Emails,
            TeamEditError::Member { .. } => TeamField::Members,
            TeamEditError::WebhookEnv { field, .. }
            | TeamEditError::WebhookEnvTaken { field, .. } => *field,
            TeamEditError::SameWebhookEnv => TeamField::SlackWebhookEnv,
        }
    }
}

impl TeamEdit {
    /// Checks `form`: every error found, not just the first. `taken` lists
    /// the variables other config keys name, as `(key, name)`, which a
    /// webhook may not reuse.
    pub fn parse(form: &TeamForm, taken: &[(&str, &str)]) -> Result<TeamEdit, Vec<TeamEditError>> {
        let mut errors = Vec::new();
        let name = parse_team_name(&form.name)
            .map_err(|e| errors.push(TeamEditError::Name(e)))
            .unwrap_or_default();
        let mut emails: Vec<Address> = Vec::new();
        for (i, line) in form.emails.lines().enumerate() {
            let line_no = i + 1;
            if line.trim().is_empty() {
                continue;
            }
            match parse_team_address(line) {
                Ok(a) if emails.contains(&a) => errors.push(TeamEditError::RepeatedEmail {
                    line: line_no,
                    value: a.to_string(),
                }),
                Ok(a) => emails.push(a),
                Err(error) => errors.push(TeamEditError::Email {
                    line: line_no,
                    error,
                }),
            }
        }
        if emails.is_empty() && !errors.iter().any(|e| e.field() == TeamField::Emails) {
            errors.push(TeamEditError::NoEmails);
        }
        let mut members: Vec<String> = Vec::new();
        for value in &form.members {
            let value = value.trim();
            match check_username(value) {
                Ok(()) => members.push(value.to_owned()),
                Err(error) => errors.push(TeamEditError::Member {
                    value: value.to_owned(),
                    error,
                }),
            }
        }
        members.sort();
        members.dedup();
        let mut env = |field: TeamField, raw: &str| {
            let name = raw.trim();
            if name.is_empty() {
                return None;
            }
            if let Err(error) = check_env_name(name) {
                errors.push(TeamEditError::WebhookEnv { field, error });
            } else if let Some((key, _)) = taken.iter().find(|(_, n)| *n == name) {
                errors.push(TeamEditError::WebhookEnvTaken {
                    field,
                    key: (*key).to_owned(),
                });
            }
            Some(name.to_owned())
        };
        let teams_webhook_env = env(TeamField::TeamsWebhookEnv, &form.teams_webhook_env);
        let slack_webhook_env = env(TeamField::SlackWebhookEnv, &form.slack_webhook_env);
        if teams_webhook_env.is_some() && teams_webhook_env == slack_webhook_env {
            errors.push(TeamEditError::SameWebhookEnv);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(TeamEdit {
            name,
            emails,
            members,
            teams_webhook_env,
            slack_webhook_env,
        })
    }

    /// The form that would give this edit back (an edit page's first values).
    pub fn form_of(
        name: &str,
        emails: &[String],
        members: &[String],
        teams_webhook_env: Option<&str>,
        slack_webhook_env: Option<&str>,
    ) -> TeamForm {
        TeamForm {
            name: name.to_owned(),
            emails: emails.join("\n"),
            members: members.to_vec(),
            teams_webhook_env: teams_webhook_env.unwrap_or_default().to_owned(),
            slack_webhook_env: slack_webhook_env.unwrap_or_default().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(name: &str, emails: &str) -> TeamForm {
        TeamForm {
            name: name.into(),
            emails: emails.into(),
            ..TeamForm::default()
        }
    }

    #[test]
    fn a_team_form_is_checked_by_the_configs_rules() {
        let mut f = form(
            "  Parks ",
            "parks@croydon.gov.uk\n\n  ops@parks.example  \n",
        );
        f.members = vec!["sam".into(), "alex".into(), "sam".into()];
        f.teams_webhook_env = " PARKS_TEAMS ".into();
        let edit = TeamEdit::parse(&f, &[]).unwrap();
        assert_eq!(edit.name, "Parks");
        let emails: Vec<String> = edit.emails.iter().map(ToString::to_string).collect();
        assert_eq!(emails, ["parks@croydon.gov.uk", "ops@parks.example"]);
        assert_eq!(edit.members, ["alex", "sam"]);
        assert_eq!(edit.teams_webhook_env.as_deref(), Some("PARKS_TEAMS"));
        assert_eq!(edit.slack_webhook_env, None);
    }

    #[test]
    fn every_bad_field_is_reported_beside_its_field() {
        let mut f = form(
            " ",
            "Parks <parks@croydon.gov.uk>\nnot an address\na@b.example\na@b.example",
        );
        f.members = vec!["Sam Smith".into()];
        f.teams_webhook_env = "https://hooks.example/secret".into();
        f.slack_webhook_env = "PLACEWATCH__X__CLIENT_ID".into();
        let errors = TeamEdit::parse(&f, &[]).unwrap_err();
        let fields: Vec<TeamField> = errors.iter().map(TeamEditError::field).collect();
        assert_eq!(
            fields,
            [
                TeamField::Name,
                TeamField::Emails,
                TeamField::Emails,
                TeamField::Emails,
                TeamField::Members,
                TeamField::TeamsWebhookEnv,
                TeamField::SlackWebhookEnv,
            ]
        );
        assert_eq!(errors[0].to_string(), "the name must not be blank");
        assert!(
            errors[1]
                .to_string()
                .starts_with("line 1: write the address alone")
        );
        assert_eq!(errors[3].to_string(), "line 4: a@b.example is listed twice");
        assert!(
            !errors[5].to_string().contains("hooks.example"),
            "no secret echoed"
        );
    }

    #[test]
    fn addresses_are_required_and_webhook_variables_distinct() {
        let errors = TeamEdit::parse(&form("Parks", "\n \n"), &[]).unwrap_err();
        assert_eq!(errors, [TeamEditError::NoEmails]);
        let mut f = form("Parks", "parks@croydon.gov.uk");
        f.teams_webhook_env = "HOOK".into();
        f.slack_webhook_env = "HOOK".into();
        assert_eq!(
            TeamEdit::parse(&f, &[]).unwrap_err(),
            [TeamEditError::SameWebhookEnv]
        );
        f.slack_webhook_env = "X_SECRET".into();
        let errors = TeamEdit::parse(&f, &[("x.client_secret_env", "X_SECRET")]).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "is the variable x.client_secret_env names; a webhook needs its own"
        );
    }
}
