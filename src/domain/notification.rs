//! Notifications: what an officer is told of ([`Kind`]), who an item is
//! assigned to ([`Assignee`]), the officers a note mentions
//! ([`mentions`]), and when a daily digest is due in UK time
//! ([`latest_digest_due`], UK time from the time-zone database through
//! `domain::hours::tz`).
//!
//! Pure: std, time and jiff's compiled-in zone data; no I/O.

use std::fmt;

use time::{Date, OffsetDateTime, Time, UtcOffset};

use super::hours;
use super::team::DigestAt;

/// What a notification tells of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// An item was assigned to her, or to a team she is in.
    Assigned,
    /// A reply of hers was approved (and sent).
    ReplyApproved,
    /// A reply of hers was rejected, with the approver's reason.
    ReplyRejected,
    /// A reply waits for her approval (approvers and admins).
    ReplyAwaitingApproval,
    /// A referral she made could not be sent.
    ReferralFailed,
    /// A note mentions her (`@sam`).
    Mentioned,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 6] = [
        Kind::Assigned,
        Kind::ReplyApproved,
        Kind::ReplyRejected,
        Kind::ReplyAwaitingApproval,
        Kind::ReferralFailed,
        Kind::Mentioned,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Assigned => "assigned",
            Kind::ReplyApproved => "reply_approved",
            Kind::ReplyRejected => "reply_rejected",
            Kind::ReplyAwaitingApproval => "reply_awaiting_approval",
            Kind::ReferralFailed => "referral_failed",
            Kind::Mentioned => "mentioned",
        }
    }

    /// The inverse of [`Kind::as_str`].
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A short heading, as the list and emails show it.
    pub fn heading(self) -> &'static str {
        match self {
            Kind::Assigned => "Assigned",
            Kind::ReplyApproved => "Reply approved",
            Kind::ReplyRejected => "Reply rejected",
            Kind::ReplyAwaitingApproval => "Waiting for approval",
            Kind::ReferralFailed => "Referral failed",
            Kind::Mentioned => "Mentioned",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who an item is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Assignee {
    /// An officer, by username.
    Officer(String),
    /// A team, by name: each of its members is told.
    Team(String),
}

/// The usernames `@`-mentioned in `text`, lowercased, each once, in order
/// of first mention. A mention starts a word or follows punctuation such as
/// `(`; an `@` inside an email address (`sam@croydon.gov.uk`) or a link
/// (`https://x.com/@sam`, `www.example.com/@sam`) is not one. A trailing
/// `.`, `-` or `_` ends a sentence, not the name. The caller keeps only
/// names of officers that exist.
pub fn mentions(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let lower = word.to_lowercase();
        if lower.contains("://") || lower.starts_with("www.") || lower.starts_with("mailto:") {
            continue;
        }
        let chars: Vec<char> = word.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            if c != '@' {
                continue;
            }
            let after_text = i > 0 && {
                let before = chars[i - 1];
                before.is_alphanumeric() || "_.+-/:=&?#%~@".contains(before)
            };
            if after_text {
                continue;
            }
            let name: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || "._-".contains(**c))
                .collect();
            let name = name.trim_end_matches(['.', '-', '_']).to_ascii_lowercase();
            // A longer run is not a username (2 to 32 characters).
            if (2..=32).contains(&name.len())
                && chars
                    .get(i + 1 + name.len())
                    .is_none_or(|c| !c.is_alphanumeric() && *c != '@')
                && !found.contains(&name)
            {
                found.push(name);
            }
        }
    }
    found
}

/// The UK's offset from UTC at `at`: +1 hour in British Summer Time, else 0
/// (Europe/London from the time-zone database, `domain::hours::tz`).
pub fn uk_offset(at: OffsetDateTime) -> UtcOffset {
    hours::tz::offset_in(&hours::tz::uk(), at)
}

/// The instant when UK clocks show `time` on `date`. In the hour the clocks
/// go forward (01:00 to 02:00 does not happen) it is an hour later on the
/// clock, as a clock set then would show; in the hour that happens twice in
/// October it is the first (still summer time).
pub fn uk_instant(date: Date, time: Time) -> OffsetDateTime {
    hours::tz::instant_in(&hours::tz::uk(), date, time)
}

/// The most recent instant, at or before `now`, when UK clocks showed
/// `at`: the digest due by `now`. A digest is sent when this is later
/// than the last one dealt with.
pub fn latest_digest_due(now: OffsetDateTime, at: DigestAt) -> OffsetDateTime {
    let time = Time::from_hms(at.hour(), at.minute(), 0).unwrap_or(Time::MIDNIGHT);
    let today = now.to_offset(uk_offset(now)).date();
    let due = uk_instant(today, time);
    if due <= now {
        due
    } else {
        uk_instant(today.previous_day().unwrap_or(today), time)
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use time::macros::{date, datetime, time};

    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Kind::parse("assigned_to_me"), None);
    }

    #[test]
    fn mentions_are_found_at_word_starts_and_after_punctuation() {
        assert_eq!(mentions("@sam can you look?"), ["sam"]);
        assert_eq!(
            mentions("Thanks (@priya), and @Alex_B. Also @sam, @sam again"),
            ["priya", "alex_b", "sam"]
        );
        assert_eq!(mentions("over to @vic.jones."), ["vic.jones"]);
        assert_eq!(mentions("“@sam” said"), ["sam"]);
        assert_eq!(mentions("line one\n@alex line two"), ["alex"]);
    }

    #[test]
    fn mentions_skip_email_addresses_links_and_bare_ats() {
        assert!(mentions("write to sam@croydon.gov.uk").is_empty());
        assert!(mentions("see https://x.com/@sam and www.example.com/@priya").is_empty());
        assert!(mentions("x.com/@sam or mailto:@sam").is_empty());
        assert!(mentions("meet @ 3pm, @a is too short, email@@sam").is_empty());
        let long = format!("@{}", "a".repeat(33));
        assert!(mentions(&long).is_empty(), "longer than any username");
    }

    #[test]
    fn uk_offset_follows_british_summer_time() {
        // 2026: forward on 29 March, back on 25 October, both at 01:00 UTC.
        assert_eq!(
            uk_offset(datetime!(2026-03-29 00:59:59 UTC)),
            UtcOffset::UTC
        );
        assert_eq!(uk_offset(datetime!(2026-03-29 01:00 UTC)).whole_hours(), 1);
        assert_eq!(uk_offset(datetime!(2026-07-01 12:00 UTC)).whole_hours(), 1);
        assert_eq!(
            uk_offset(datetime!(2026-10-25 00:59:59 UTC)).whole_hours(),
            1
        );
        assert_eq!(uk_offset(datetime!(2026-10-25 01:00 UTC)), UtcOffset::UTC);
        assert_eq!(uk_offset(datetime!(2026-12-06 18:00 UTC)), UtcOffset::UTC);
        // 2027: 28 March and 31 October.
        assert_eq!(uk_offset(datetime!(2027-03-28 01:00 UTC)).whole_hours(), 1);
        assert_eq!(uk_offset(datetime!(2027-10-31 00:30 UTC)).whole_hours(), 1);
        assert_eq!(uk_offset(datetime!(2027-10-31 01:00 UTC)), UtcOffset::UTC);
    }

    #[test]
    fn uk_instants_in_winter_summer_and_the_changes() {
        assert_eq!(
            uk_instant(date!(2026 - 12 - 07), time!(08:00)),
            datetime!(2026-12-07 08:00 UTC)
        );
        assert_eq!(
            uk_instant(date!(2026 - 06 - 01), time!(08:00)),
            datetime!(2026-06-01 07:00 UTC)
        );
        // 01:30 does not happen on 29 March 2026: 02:30 BST, 01:30 UTC.
        assert_eq!(
            uk_instant(date!(2026 - 03 - 29), time!(01:30)),
            datetime!(2026-03-29 01:30 UTC)
        );
        // 01:30 happens twice on 25 October 2026: the first, in BST.
        assert_eq!(
            uk_instant(date!(2026 - 10 - 25), time!(01:30)),
            datetime!(2026-10-25 00:30 UTC)
        );
        // Around midnight UK time in summer the UTC date is the day before.
        assert_eq!(
            uk_instant(date!(2026 - 06 - 02), time!(00:15)),
            datetime!(2026-06-01 23:15 UTC)
        );
    }

    #[test]
    fn the_digest_due_is_the_last_digest_time_passed() {
        let eight = DigestAt::DEFAULT;
        // Winter: 08:00 UK is 08:00 UTC.
        assert_eq!(
            latest_digest_due(datetime!(2026-12-07 08:00 UTC), eight),
            datetime!(2026-12-07 08:00 UTC)
        );
        assert_eq!(
            latest_digest_due(datetime!(2026-12-07 07:59 UTC), eight),
            datetime!(2026-12-06 08:00 UTC)
        );
        // Summer: 08:00 UK is 07:00 UTC.
        assert_eq!(
            latest_digest_due(datetime!(2026-06-01 07:30 UTC), eight),
            datetime!(2026-06-01 07:00 UTC)
        );
        // The morning the clocks go forward: the day before was winter.
        assert_eq!(
            latest_digest_due(datetime!(2026-03-29 06:59 UTC), eight),
            datetime!(2026-03-28 08:00 UTC)
        );
        assert_eq!(
            latest_digest_due(datetime!(2026-03-29 07:00 UTC), eight),
            datetime!(2026-03-29 07:00 UTC)
        );
        // The morning they go back: 08:00 GMT, 25 hours after the last.
        assert_eq!(
            latest_digest_due(datetime!(2026-10-25 07:30 UTC), eight),
            datetime!(2026-10-24 07:00 UTC)
        );
        assert_eq!(
            latest_digest_due(datetime!(2026-10-25 08:00 UTC), eight),
            datetime!(2026-10-25 08:00 UTC)
        );
        // Late at night in summer, the UK date is already tomorrow.
        let late = DigestAt::parse("00:30").unwrap();
        assert_eq!(
            latest_digest_due(datetime!(2026-06-01 23:40 UTC), late),
            datetime!(2026-06-01 23:30 UTC)
        );
    }

    #[test]
    fn each_day_has_exactly_one_digest_across_both_changes() {
        for (from, to) in [
            (
                datetime!(2026-03-27 00:00 UTC),
                datetime!(2026-04-01 00:00 UTC),
            ),
            (
                datetime!(2026-10-23 00:00 UTC),
                datetime!(2026-10-28 00:00 UTC),
            ),
        ] {
            for at in ["08:00", "01:30", "00:00", "23:59"] {
                let at = DigestAt::parse(at).unwrap();
                let mut dues = Vec::new();
                let mut now = from;
                while now < to {
                    let due = latest_digest_due(now, at);
                    assert!(due <= now);
                    if dues.last() != Some(&due) {
                        dues.push(due);
                    }
                    now += Duration::minutes(5);
                }
                // One per UK day (the first day's may fall before `from`).
                assert!((5..=6).contains(&dues.len()), "{at}: {dues:?}");
                for pair in dues.windows(2) {
                    let gap = pair[1] - pair[0];
                    assert!(
                        gap >= Duration::hours(23) && gap <= Duration::hours(25),
                        "{at}: {pair:?}"
                    );
                }
            }
        }
    }
}
