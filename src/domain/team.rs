//! Teams: the service teams (and outside contractors) items are assigned
//! and referred to, and how an officer wants to hear about her work.
//!
//! A team has a name (unique ignoring case), one or more email addresses
//! referrals go to, its members (officers' usernames; none for a contractor)
//! and, optionally, the NAMES of the environment variables that hold its
//! Microsoft Teams and Slack webhook URLs (secrets, never in the file).
//!
//! Pure: std, serde, thiserror and lettre's `Address`; no I/O.

use std::fmt;

use serde::Serialize;

use super::mail::Address;

/// The longest team name, in characters.
pub const MAX_TEAM_NAME_CHARS: usize = 60;

/// A team as `[[teams]]` in the config defines it, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamConfig {
    /// Trimmed, non-blank, at most [`MAX_TEAM_NAME_CHARS`].
    pub name: String,
    /// Where referrals go; at least one.
    pub emails: Vec<Address>,
    /// Officers' usernames, in file order, without repeats; empty for an
    /// outside contractor.
    pub members: Vec<String>,
    /// Name of the environment variable holding the Microsoft Teams webhook URL.
    pub teams_webhook_env: Option<String>,
    /// Name of the environment variable holding the Slack webhook URL.
    pub slack_webhook_env: Option<String>,
}

/// Why a team name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamNameError {
    #[error("must not be blank")]
    Blank,
    #[error("must be at most {MAX_TEAM_NAME_CHARS} characters, got {0}")]
    TooLong(usize),
    #[error("must be one line, with no control characters")]
    Control,
}

/// A team name, trimmed and checked: non-blank, one line, at most
/// [`MAX_TEAM_NAME_CHARS`] characters.
pub fn parse_team_name(raw: &str) -> Result<String, TeamNameError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(TeamNameError::Blank);
    }
    if name.chars().any(char::is_control) {
        return Err(TeamNameError::Control);
    }
    let len = name.chars().count();
    if len > MAX_TEAM_NAME_CHARS {
        return Err(TeamNameError::TooLong(len));
    }
    Ok(name.to_string())
}

/// The prefix of the variables that override config keys, which no
/// `*_env` key may name (`PLACEWATCH__X__CLIENT_ID`).
pub const RESERVED_ENV_PREFIX: &str = "PLACEWATCH__";

/// Why a referral address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamAddressError {
    #[error("write the address alone (e.g. \"streets@croydon.gov.uk\"), not {0:?}")]
    WithName(String),
    #[error("{value:?} is not an email address ({reason})")]
    Invalid { value: String, reason: String },
}

/// A referral address: trimmed, a bare address (no display name), as
/// lettre's `Address` reads it. The config and the desk both use this rule.
pub fn parse_team_address(raw: &str) -> Result<Address, TeamAddressError> {
    let value = raw.trim();
    if value.contains('<') {
        return Err(TeamAddressError::WithName(value.to_owned()));
    }
    value
        .parse::<Address>()
        .map_err(|e| TeamAddressError::Invalid {
            value: value.to_owned(),
            reason: e.to_string(),
        })
}

/// Why a `*_env` value is refused. Never repeats the value: a wrong value
/// there is most likely the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvNameError {
    #[error(
        "must be the NAME of an environment variable (letters, digits and _, e.g. \
         \"STREETS_TEAMS_WEBHOOK\"), never the secret itself; the value is not shown here"
    )]
    NotAName,
    #[error("starts with {RESERVED_ENV_PREFIX}, which is reserved for overrides")]
    Reserved,
}

/// Checks an environment variable's name: a letter or `_`, then letters,
/// digits and `_`, and not one of the config's override variables.
pub fn check_env_name(name: &str) -> Result<(), EnvNameError> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        Err(EnvNameError::NotAName)
    } else if name.to_ascii_uppercase().starts_with(RESERVED_ENV_PREFIX) {
        Err(EnvNameError::Reserved)
    } else {
        Ok(())
    }
}

/// How an officer wants to hear of work for her (assignments, approvals,
/// mentions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Notify {
    /// An email for each, as it happens.
    #[default]
    Immediately,
    /// One email a day, at the officer's digest time.
    Digest,
    /// No email (the desk's notifications only).
    None,
}

impl Notify {
    /// The spelling stored and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Notify::Immediately => "immediately",
            Notify::Digest => "digest",
            Notify::None => "none",
        }
    }

    /// The inverse of [`Notify::as_str`].
    pub fn parse(s: &str) -> Option<Notify> {
        match s {
            "immediately" => Some(Notify::Immediately),
            "digest" => Some(Notify::Digest),
            "none" => Some(Notify::None),
            _ => None,
        }
    }
}

impl fmt::Display for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The time of day a digest is sent, `HH:MM` (24-hour, UK local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DigestAt {
    hour: u8,
    minute: u8,
}

impl DigestAt {
    /// 08:00, the default.
    pub const DEFAULT: DigestAt = DigestAt { hour: 8, minute: 0 };

    /// `HH:MM` with two digits each, 00:00 to 23:59.
    pub fn parse(s: &str) -> Option<DigestAt> {
        let (h, m) = s.split_once(':')?;
        let two = |p: &str| {
            (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u8>().ok())
                .flatten()
        };
        let (hour, minute) = (two(h)?, two(m)?);
        (hour < 24 && minute < 60).then_some(DigestAt { hour, minute })
    }
}

impl Default for DigestAt {
    fn default() -> Self {
        DigestAt::DEFAULT
    }
}

impl fmt::Display for DigestAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

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
        error: super::officer::CredentialError,
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
            match super::officer::check_username(value) {
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

    #[test]
    fn team_names_are_trimmed_one_line_and_short() {
        assert_eq!(parse_team_name("  Streets team ").unwrap(), "Streets team");
        assert_eq!(parse_team_name("  "), Err(TeamNameError::Blank));
        assert_eq!(parse_team_name("a\nb"), Err(TeamNameError::Control));
        assert!(parse_team_name(&"x".repeat(60)).is_ok());
        assert_eq!(
            parse_team_name(&"é".repeat(61)),
            Err(TeamNameError::TooLong(61))
        );
    }

    #[test]
    fn notify_and_digest_times_round_trip() {
        for n in [Notify::Immediately, Notify::Digest, Notify::None] {
            assert_eq!(Notify::parse(n.as_str()), Some(n));
        }
        assert_eq!(Notify::parse("daily"), None);
        assert_eq!(DigestAt::parse("08:00"), Some(DigestAt::DEFAULT));
        assert_eq!(DigestAt::parse("23:59").unwrap().to_string(), "23:59");
        for bad in ["8:00", "24:00", "12:60", "1200", "ab:cd", "+1:00", ""] {
            assert_eq!(DigestAt::parse(bad), None, "{bad}");
        }
    }

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
