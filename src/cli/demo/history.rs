//! The demo's past week: what its officers did with the simulator's backlog
//! (posts of the last few days), done through the store's and the outbox's
//! own verbs at the times they would have done it ([`store::backdated`]).
//! The Reports page, the audit log and each item's history then show a team
//! at work from the first minute, not a desk where nobody has ever answered.
//!
//! Officers work in office hours: an item posted on Saturday waits for
//! Monday, and one whose turn would come after now is left for the person
//! trying the demo. Replies to posts that summon the council go through the
//! simulated X's API; the rest are marked replied (answered on x.com), or
//! referred to a team (their emails reach the demo's mail catcher once the
//! desk runs), or dismissed. The same seed gives the same week.
//!
//! [`store::backdated`]: crate::store::backdated

use anyhow::Context;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use tracing::warn;

use crate::domain::hours::OfficeHours;
use crate::domain::triage::{Action, Priority, ReplyPath, Status};
use crate::reply::{Outbox, ReplyOutcome};
use crate::store::{ItemFilter, ItemRow, NewReferral, Store, backdated};

/// Who does the work, and how often: (username, weight). Vic is a viewer.
const STAFF: &[(&str, u32)] = &[("sam", 5), ("priya", 3), ("alex", 2)];

/// The most replies the seeded week sends through X. A real week's replies
/// are spread over days; seeded at once they would meet X's 15-minute
/// window for posting (100 a user, which the simulator keeps too), so
/// beyond this the officers answer the rest another way.
const MAX_API_REPLIES: u32 = 90;

/// The contractor and the service team of the reference config.
const CONTRACTOR: &str = "CleanCo street cleansing";
const STREETS: &str = "Streets team";

/// What was seeded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub replied_api: u32,
    pub replied_manual: u32,
    pub referred: u32,
    pub dismissed: u32,
    /// Claimed and still being worked on.
    pub in_progress: u32,
    /// Left waiting: their turn comes after now.
    pub waiting: u32,
}

/// What an officer did with one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    ReplyApi,
    MarkReplied,
    Refer(&'static str),
    Dismiss,
    /// Claimed, not finished yet.
    Working,
}

/// Works through the new items of `store`, oldest post first (see the
/// module's docs). `message_domain` names the referral emails' Message-IDs.
pub async fn seed(
    store: &Store,
    outbox: Option<&Outbox>,
    hours: &OfficeHours,
    message_domain: &str,
    seed: u64,
    now: OffsetDateTime,
) -> anyhow::Result<Seeded> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_0ff1_ce00);
    let mut seeded = Seeded::default();
    let mut items = new_items(store).await?;
    items.sort_by_key(|(posted, item)| (*posted, item.id));
    for (posted, item) in items {
        let officer = pick_officer(&mut rng);
        let claim_at = office_later(hours, posted, first_look(&mut rng, item.priority));
        let done_at = office_later(hours, claim_at, rng.random_range(4..=40));
        if claim_at > now - Duration::minutes(20) {
            seeded.waiting += 1;
            continue;
        }
        let outcome = if done_at > now - Duration::minutes(5) {
            Outcome::Working
        } else {
            let can_reply = outbox.is_some() && seeded.replied_api < MAX_API_REPLIES;
            choose(&mut rng, &item, can_reply)
        };
        backdated(claim_at, store.transition(item.id, Action::Claim, officer))
            .await
            .with_context(|| format!("claiming item {} for the demo's history", item.id))?;
        let done = backdated(
            done_at,
            finish(store, outbox, &item, outcome, officer, message_domain),
        )
        .await
        .with_context(|| format!("seeding item {}'s history", item.id))?;
        match done {
            Some(Outcome::ReplyApi) => seeded.replied_api += 1,
            Some(Outcome::MarkReplied) => seeded.replied_manual += 1,
            Some(Outcome::Refer(_)) => seeded.referred += 1,
            Some(Outcome::Dismiss) => seeded.dismissed += 1,
            Some(Outcome::Working) | None => seeded.in_progress += 1,
        }
    }
    Ok(seeded)
}

/// Every new item, with its post's time.
async fn new_items(store: &Store) -> anyhow::Result<Vec<(OffsetDateTime, ItemRow)>> {
    let mut all = Vec::new();
    let mut filter = ItemFilter {
        status: Some(Status::New),
        limit: 500,
        ..ItemFilter::default()
    };
    loop {
        let page = store.list_items(&filter).await?;
        for item in page.items {
            let at = item.post.created_at.as_deref().unwrap_or(&item.created_at);
            let posted = OffsetDateTime::parse(at, &Rfc3339)
                .with_context(|| format!("item {}'s time {at:?}", item.id))?;
            all.push((posted, item));
        }
        match page.next_before {
            Some(before) => filter.before = Some(before),
            None => return Ok(all),
        }
    }
}

fn pick_officer(rng: &mut ChaCha8Rng) -> &'static str {
    let total: u32 = STAFF.iter().map(|(_, w)| w).sum();
    let mut n = rng.random_range(0..total);
    for (name, weight) in STAFF {
        if n < *weight {
            return name;
        }
        n -= weight;
    }
    STAFF[0].0
}

/// Office minutes until someone first looks at an item: sooner the more it matters.
fn first_look(rng: &mut ChaCha8Rng, priority: Priority) -> u32 {
    match priority {
        Priority::Urgent => rng.random_range(2..=30),
        Priority::High => rng.random_range(5..=75),
        Priority::Normal => rng.random_range(20..=240),
        Priority::Low => rng.random_range(60..=600),
    }
}

/// What the officer does with `item`.
fn choose(rng: &mut ChaCha8Rng, item: &ItemRow, can_reply: bool) -> Outcome {
    let roll = rng.random_range(0..100);
    if item.tags.iter().any(|t| t == "abuse") {
        return Outcome::Dismiss;
    }
    if item.reply_path == ReplyPath::Api && can_reply {
        return if roll < 90 {
            Outcome::ReplyApi
        } else {
            Outcome::Refer(STREETS)
        };
    }
    if item.team.as_deref() == Some(STREETS) {
        return match roll {
            0..35 => Outcome::Refer(CONTRACTOR),
            35..80 => Outcome::MarkReplied,
            _ => Outcome::Dismiss,
        };
    }
    match roll {
        0..40 => Outcome::MarkReplied,
        40..45 => Outcome::Refer(STREETS),
        45..96 => Outcome::Dismiss,
        _ => Outcome::Working,
    }
}

/// Does `outcome` to `item` as `officer`; `None` when it could not be
/// done (X refused the reply: it waits on the desk like any other).
async fn finish(
    store: &Store,
    outbox: Option<&Outbox>,
    item: &ItemRow,
    outcome: Outcome,
    officer: &str,
    message_domain: &str,
) -> anyhow::Result<Option<Outcome>> {
    let handle = item
        .author
        .as_ref()
        .map(|a| format!("@{} ", a.username))
        .unwrap_or_default();
    let place = item.places.first().map_or("your area", String::as_str);
    match outcome {
        Outcome::ReplyApi => {
            let Some(outbox) = outbox else {
                return Ok(None);
            };
            // X refuses a reply identical to an earlier one (as the
            // simulator does): each carries the item's own reference.
            let text = format!(
                "{handle}Thanks for letting us know about {place}. We've logged it as \
                 ref {} and the team will update you here.",
                item.id
            );
            match outbox.submit(item.id, &text, None, officer, false).await? {
                ReplyOutcome::Sent { .. } => {}
                other => {
                    warn!(item.id = item.id, reply.state = %other.reply().state, "a seeded reply was not sent");
                    return Ok(None);
                }
            }
        }
        Outcome::MarkReplied => {
            store
                .transition(item.id, Action::MarkReplied, officer)
                .await?;
        }
        Outcome::Refer(team) => {
            let reason = format!(
                "Reported on X near {place}: please take a look and tell us when it is done."
            );
            store
                .refer(&NewReferral {
                    item_id: item.id,
                    team,
                    reason: &reason,
                    officer,
                    message_domain,
                })
                .await?;
        }
        Outcome::Dismiss => {
            store.transition(item.id, Action::Dismiss, officer).await?;
        }
        Outcome::Working => {}
    }
    Ok(Some(outcome))
}

/// `minutes` of office time after `from`: the clock runs only while the
/// office is open (`from` itself may be out of hours).
fn office_later(hours: &OfficeHours, from: OffsetDateTime, minutes: u32) -> OffsetDateTime {
    let mut at = from;
    for _ in 0..minutes {
        // An office never open counts the wall clock.
        at = hours.next_open(at).unwrap_or(at) + Duration::MINUTE;
    }
    at
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::domain::hours::{Opening, Week};

    fn nine_to_five() -> OfficeHours {
        let open = Opening::new(9 * 3600, 17 * 3600);
        let week = Week::CLOSED
            .with(time::Weekday::Monday, open)
            .with(time::Weekday::Friday, open);
        OfficeHours::new(week, crate::domain::hours::tz::uk(), [])
    }

    #[test]
    fn office_time_waits_for_the_office_to_open() {
        let hours = nine_to_five();
        // Saturday evening: Monday 09:30 (GMT in December).
        assert_eq!(
            office_later(&hours, datetime!(2026-12-05 20:00 UTC), 30),
            datetime!(2026-12-07 09:30 UTC)
        );
        // Friday 16:50 + 30 minutes: 10 on Friday, 20 on Monday.
        assert_eq!(
            office_later(&hours, datetime!(2026-12-04 16:50 UTC), 30),
            datetime!(2026-12-07 09:20 UTC)
        );
    }
}
