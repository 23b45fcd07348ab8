//! Presence: which officers have an item open, or are writing a reply to
//! it, right now ("Priya Shah is replying"). Each open item's page reports
//! its officer every few seconds; a report counts for [`LAPSE`], so a
//! closed tab drops out on its own. The store keeps the reports (so every
//! replica sees every officer), timed by the database's clock.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long a report counts without another (the desk reports every 5 s).
pub const LAPSE: Duration = Duration::from_secs(20);

/// What an officer is doing with an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    Viewing,
    Replying,
}

impl Activity {
    /// The name the store and the desk's JSON give it.
    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Viewing => "viewing",
            Activity::Replying => "replying",
        }
    }

    /// The activity named `name` ([`Activity::as_str`]'s), if any.
    pub fn parse(name: &str) -> Option<Activity> {
        match name {
            "viewing" => Some(Activity::Viewing),
            "replying" => Some(Activity::Replying),
            _ => None,
        }
    }
}

/// One officer's live report on an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Present {
    pub item_id: i64,
    /// Her username.
    pub officer: String,
    pub display_name: String,
    pub activity: Activity,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_activity_is_named_as_the_desk_names_it() {
        for a in [Activity::Viewing, Activity::Replying] {
            assert_eq!(Activity::parse(a.as_str()), Some(a));
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::Value::String(a.as_str().to_owned())
            );
        }
        assert_eq!(Activity::parse("typing"), None);
    }
}
