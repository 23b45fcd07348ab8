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

mod edit;
pub use edit::{TeamEdit, TeamEditError, TeamField, TeamForm};

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

    /// The hour, 0 to 23.
    pub fn hour(self) -> u8 {
        self.hour
    }

    /// The minute, 0 to 59.
    pub fn minute(self) -> u8 {
        self.minute
    }

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
}
