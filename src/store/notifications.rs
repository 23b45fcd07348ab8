//! Notifications (schema 16): what an officer is told of, written in the
//! transaction of the change it tells of ([`notify`], [`assigned`],
//! [`referral_failed`], and the reply and note emitters in this module),
//! read in the desk (her list, the bell's unread count, marking read), and
//! taken by the mail task (`notify::Delivery`): immediate emails and daily
//! digests, each notification emailed at most once.
//!
//! Nobody is told of her own action, and only officers who exist and are
//! not disabled are told (a team may list a member not yet added).
//! Marking read is the officer's own view of her list, like a session, and
//! is not audited.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use super::{Store, StoreError, codec};
use crate::domain::mail::Reference;
use crate::domain::notification::{Assignee, Kind, mentions};
use crate::domain::team::{DigestAt, Notify};

/// The longest quote of a reply, note or reason in a summary, in characters.
const QUOTE_CHARS: usize = 200;

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    /// The officer told.
    pub username: String,
    pub kind: Kind,
    /// The item it is about.
    pub item_id: Option<i64>,
    /// Where it leads when it is about several items: a desk path such as
    /// `/?owner=me`.
    pub link: Option<String>,
    /// Whose action it was (`placewatch` for the daemon's own).
    pub actor: String,
    /// One paragraph: what happened, with a reason or a quote.
    pub summary: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub read_at: Option<String>,
    pub emailed_at: Option<String>,
}

/// A notification to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification<'a> {
    pub to: &'a str,
    pub kind: Kind,
    pub item_id: Option<i64>,
    /// A desk path, for one about several items.
    pub link: Option<String>,
    pub actor: &'a str,
    pub summary: String,
}

/// Which of her notifications an officer marks read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which<'a> {
    Ids(&'a [i64]),
    All,
}

/// A notification to email with whom to: the officer's address and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToEmail {
    pub notification: Notification,
    pub email: String,
    pub display_name: String,
}

/// An officer who takes a daily digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestReader {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub digest_at: DigestAt,
    /// The last digest time dealt with (RFC 3339 UTC), if any.
    pub last_due: Option<String>,
}

/// `text` cut to `QUOTE_CHARS` characters with an ellipsis, on one line.
fn quote(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= QUOTE_CHARS {
        return line;
    }
    let cut: String = line.chars().take(QUOTE_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// `username`'s display name, or the username when she is no officer.
async fn name_of(conn: &mut AnyConnection, username: &str) -> Result<String, StoreError> {
    let name: Option<String> =
        sqlx::query_scalar("SELECT display_name FROM officers WHERE username = $1")
            .bind(username)
            .fetch_optional(conn)
            .await?;
    Ok(name.unwrap_or_else(|| username.to_owned()))
}

/// Writes `new` at `at` inside the caller's transaction, unless it would
/// tell the actor of her own action or its officer does not exist or is
/// disabled. Returns the new id, if written.
pub async fn notify(
    conn: &mut AnyConnection,
    new: &NewNotification<'_>,
    at: &str,
) -> Result<Option<i64>, StoreError> {
    if new.to == new.actor {
        return Ok(None);
    }
    let id = sqlx::query_scalar(
        "INSERT INTO notifications (username, kind, item_id, link, actor, summary, created_at) \
         SELECT username, $1, $2, $3, $4, $5, $6 FROM officers WHERE username = $7 AND disabled = 0 \
         RETURNING id",
    )
    .bind(new.kind.as_str())
    .bind(new.item_id)
    .bind(&new.link)
    .bind(new.actor)
    .bind(&new.summary)
    .bind(at)
    .bind(new.to)
    .fetch_optional(conn)
    .await?;
    Ok(id)
}

/// Tells `assignee` (an officer, or each member of a team) that `items`
/// were assigned to them by `actor`, inside the caller's transaction. One
/// item makes a notification about it; several (a bulk assignment) make
/// one notification per person, leading to the assignee's items, so that
/// assigning forty items does not ring forty times.
pub async fn assigned(
    conn: &mut AnyConnection,
    items: &[i64],
    assignee: &Assignee,
    actor: &str,
) -> Result<Vec<i64>, StoreError> {
    let (&first, many) = match items {
        [] => return Ok(Vec::new()),
        [one] => (one, false),
        [first, ..] => (first, true),
    };
    let at = codec::now();
    let by = name_of(conn, actor).await?;
    let what = if many {
        format!("{} items", items.len())
    } else {
        format!("item {first}")
    };
    let (to, summary, link) = match assignee {
        Assignee::Officer(username) => (
            vec![username.clone()],
            format!("{by} assigned {what} to you."),
            "/?owner=me".to_owned(),
        ),
        Assignee::Team(team) => {
            let name: Option<String> =
                sqlx::query_scalar("SELECT name FROM teams WHERE lower(name) = lower($1)")
                    .bind(team)
                    .fetch_optional(&mut *conn)
                    .await?;
            let team = name.unwrap_or_else(|| team.clone());
            let members: Vec<String> = sqlx::query_scalar(
                "SELECT m.username FROM team_members m JOIN teams t ON t.id = m.team_id \
                 WHERE t.name = $1 ORDER BY m.username",
            )
            .bind(&team)
            .fetch_all(&mut *conn)
            .await?;
            let link = format!(
                "/?{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("team", &team)
                    .finish()
            );
            (
                members,
                format!("{by} assigned {what} to {team}, a team you are in."),
                link,
            )
        }
    };
    let mut ids = Vec::new();
    for username in &to {
        let new = NewNotification {
            to: username,
            kind: Kind::Assigned,
            item_id: (!many).then_some(first),
            link: many.then(|| link.clone()),
            actor,
            summary: summary.clone(),
        };
        ids.extend(notify(conn, &new, &at).await?);
    }
    Ok(ids)
}

/// Tells `referrer` that her referral `reference` of item `item_id` could
/// not be sent, and why, inside the caller's transaction (the one that
/// records the failure). The actor is `placewatch`.
pub async fn referral_failed(
    conn: &mut AnyConnection,
    item_id: i64,
    reference: Reference,
    reason: &str,
    referrer: &str,
) -> Result<Option<i64>, StoreError> {
    let new = NewNotification {
        to: referrer,
        kind: Kind::ReferralFailed,
        item_id: Some(item_id),
        link: None,
        actor: "placewatch",
        summary: format!(
            "Referral {reference} of item {item_id} could not be sent: {}",
            quote(reason)
        ),
    };
    notify(conn, &new, &codec::now()).await
}

/// Tells every approver and admin (but `author`) that `author`'s reply
/// `reply_id` on item `item_id` waits for approval.
pub(super) async fn reply_awaiting_approval(
    conn: &mut AnyConnection,
    item_id: i64,
    reply_id: i64,
    author: &str,
    text: &str,
    at: &str,
) -> Result<Vec<i64>, StoreError> {
    let approvers: Vec<String> = sqlx::query_scalar(
        "SELECT username FROM officers WHERE role IN ('approver', 'admin') AND disabled = 0 \
         AND username <> $1 ORDER BY username",
    )
    .bind(author)
    .fetch_all(&mut *conn)
    .await?;
    let summary = format!(
        "{}'s reply {reply_id} on item {item_id} is waiting for your approval: “{}”",
        name_of(conn, author).await?,
        quote(text)
    );
    let mut ids = Vec::new();
    for approver in &approvers {
        let new = NewNotification {
            to: approver,
            kind: Kind::ReplyAwaitingApproval,
            item_id: Some(item_id),
            link: None,
            actor: author,
            summary: summary.clone(),
        };
        ids.extend(notify(conn, &new, at).await?);
    }
    Ok(ids)
}

/// Tells a reply's author that `approver` approved it, or rejected it
/// with `reason`.
pub(super) async fn reply_decided(
    conn: &mut AnyConnection,
    item_id: i64,
    reply_id: i64,
    author: &str,
    approver: &str,
    rejected: Option<&str>,
    at: &str,
) -> Result<Option<i64>, StoreError> {
    let by = name_of(conn, approver).await?;
    let (kind, summary) = match rejected {
        Some(reason) => (
            Kind::ReplyRejected,
            format!(
                "{by} rejected your reply {reply_id} on item {item_id}: {}",
                quote(reason)
            ),
        ),
        None => (
            Kind::ReplyApproved,
            format!("{by} approved your reply {reply_id} on item {item_id}."),
        ),
    };
    let new = NewNotification {
        to: author,
        kind,
        item_id: Some(item_id),
        link: None,
        actor: approver,
        summary,
    };
    notify(conn, &new, at).await
}

/// Tells each officer `text` mentions (`@sam`) that `author` did so in a
/// note on item `item_id`. Names that are no officer's are ignored.
pub(super) async fn mentioned(
    conn: &mut AnyConnection,
    item_id: i64,
    author: &str,
    text: &str,
    at: &str,
) -> Result<Vec<i64>, StoreError> {
    let by = name_of(conn, author).await?;
    let mut ids = Vec::new();
    for name in mentions(text) {
        let new = NewNotification {
            to: &name,
            kind: Kind::Mentioned,
            item_id: Some(item_id),
            link: None,
            actor: author,
            summary: format!(
                "{by} mentioned you in a note on item {item_id}: “{}”",
                quote(text)
            ),
        };
        ids.extend(notify(conn, &new, at).await?);
    }
    Ok(ids)
}

const COLUMNS: &str = "n.id, n.username, n.kind, n.item_id, n.link, n.actor, n.summary, n.created_at, n.read_at, n.emailed_at";

fn decode(row: &AnyRow) -> Result<Notification, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(Notification {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        kind: Kind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown notification kind {kind:?}")))?,
        item_id: row.try_get("item_id")?,
        link: row.try_get("link")?,
        actor: row.try_get("actor")?,
        summary: row.try_get("summary")?,
        created_at: row.try_get("created_at")?,
        read_at: row.try_get("read_at")?,
        emailed_at: row.try_get("emailed_at")?,
    })
}

impl Store {
    /// `username`'s newest `limit` notifications, newest first.
    pub async fn notifications(
        &self,
        username: &str,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications n WHERE n.username = $1 ORDER BY n.id DESC LIMIT $2"
        ))
        .bind(username)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode).collect()
    }

    /// One notification of `username`'s (`None` if not hers or not there).
    pub async fn notification(
        &self,
        username: &str,
        id: i64,
    ) -> Result<Option<Notification>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications n WHERE n.username = $1 AND n.id = $2"
        ))
        .bind(username)
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// How many of `username`'s notifications are unread.
    pub async fn unread_count(&self, username: &str) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE username = $1 AND read_at IS NULL",
        )
        .bind(username)
        .fetch_one(&self.read)
        .await?;
        codec::count_from_db(n, "unread notifications")
    }

    /// Marks `username`'s notifications `which` read (others' are left
    /// alone); returns how many were unread.
    pub async fn mark_read(&self, username: &str, which: Which<'_>) -> Result<u64, StoreError> {
        let at = codec::now();
        let mut tx = self.begin_write().await?;
        let changed = match which {
            Which::All => sqlx::query(
                "UPDATE notifications SET read_at = $1 WHERE username = $2 AND read_at IS NULL",
            )
            .bind(&at)
            .bind(username)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            Which::Ids(ids) => {
                let mut n = 0;
                for id in ids {
                    n += sqlx::query(
                        "UPDATE notifications SET read_at = $1 \
                         WHERE username = $2 AND id = $3 AND read_at IS NULL",
                    )
                    .bind(&at)
                    .bind(username)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                n
            }
        };
        tx.commit().await?;
        Ok(changed)
    }

    /// Unread notifications not yet emailed, created at or after `since`,
    /// of officers who want an email for each and have an
    /// address; oldest first, at most `limit`.
    pub async fn notifications_to_email(
        &self,
        since: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<ToEmail>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS}, o.email AS o_email, o.display_name AS o_name \
             FROM notifications n JOIN officers o ON o.username = n.username \
             WHERE n.emailed_at IS NULL AND n.read_at IS NULL AND n.created_at >= $1 \
             AND o.notify = $2 AND o.email IS NOT NULL AND o.email <> '' AND o.disabled = 0 \
             ORDER BY n.id LIMIT $3"
        ))
        .bind(codec::format_timestamp(since))
        .bind(Notify::Immediately.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ToEmail {
                    notification: decode(row)?,
                    email: row.try_get("o_email")?,
                    display_name: row.try_get("o_name")?,
                })
            })
            .collect()
    }

    /// Records that notifications `ids` were emailed at `at`.
    pub async fn mark_emailed(&self, ids: &[i64], at: OffsetDateTime) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        mark_emailed_in(&mut tx, ids, &codec::format_timestamp(at)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Officers who take a daily digest and have an address.
    pub async fn digest_readers(&self) -> Result<Vec<DigestReader>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.username, o.display_name, o.email, o.digest_at, d.last_due \
             FROM officers o LEFT JOIN notification_digests d ON d.username = o.username \
             WHERE o.notify = $1 AND o.email IS NOT NULL AND o.email <> '' AND o.disabled = 0 \
             ORDER BY o.username",
        )
        .bind(Notify::Digest.as_str())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                let at: String = row.try_get("digest_at")?;
                Ok(DigestReader {
                    username: row.try_get("username")?,
                    display_name: row.try_get("display_name")?,
                    email: row.try_get("email")?,
                    digest_at: DigestAt::parse(&at).ok_or_else(|| {
                        StoreError::Corrupt(format!("digest time {at:?} is not HH:MM"))
                    })?,
                    last_due: row.try_get("last_due")?,
                })
            })
            .collect()
    }

    /// `username`'s unread notifications not yet emailed, oldest first, at
    /// most `limit`: what her digest lists.
    pub async fn digest_notifications(
        &self,
        username: &str,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications n \
             WHERE n.username = $1 AND n.emailed_at IS NULL AND n.read_at IS NULL \
             ORDER BY n.id LIMIT $2"
        ))
        .bind(username)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode).collect()
    }

    /// Records `username`'s digest for the time `due` dealt with, and
    /// notifications `ids` emailed in it at `at`, together.
    pub async fn record_digest(
        &self,
        username: &str,
        due: OffsetDateTime,
        ids: &[i64],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        mark_emailed_in(&mut tx, ids, &codec::format_timestamp(at)).await?;
        sqlx::query(
            "INSERT INTO notification_digests (username, last_due) VALUES ($1, $2) \
             ON CONFLICT (username) DO UPDATE SET last_due = excluded.last_due",
        )
        .bind(username)
        .bind(codec::format_timestamp(due))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn mark_emailed_in(
    conn: &mut AnyConnection,
    ids: &[i64],
    at: &str,
) -> Result<(), StoreError> {
    for id in ids {
        sqlx::query(
            "UPDATE notifications SET emailed_at = $1 WHERE id = $2 AND emailed_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::ingest::{CursorMove, PageBatch, ReadKind, TaggedPost};
    use crate::domain::officer::Role;
    use crate::domain::post::{Author, Post};
    use crate::domain::triage::{Decision, Flags, ReplyPath};
    use crate::store::NewOfficer;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("n.db")).await.unwrap();
        for (username, role) in [
            ("sam", Role::Officer),
            ("alex", Role::Officer),
            ("priya", Role::Approver),
            ("vic", Role::Admin),
        ] {
            let new = NewOfficer {
                username,
                display_name: username,
                role,
                password_hash: "$argon2id$fake",
            };
            store.add_officer(&new, "admin").await.unwrap();
        }
        (dir, store)
    }

    async fn one_item(store: &Store) -> i64 {
        let post = Post {
            id: 1,
            text: "Croydon bins".into(),
            author_id: Some(5),
            created_at: Some("2026-11-26T09:00:00.000Z".into()),
            conversation_id: Some(1),
            in_reply_to_user_id: None,
            replied_to: None,
            quoted: None,
            is_retweet: false,
            lang: Some("en".into()),
            reply_settings: Some("everyone".into()),
            mentions: vec![],
            raw: json!({"id": "1", "text": "Croydon bins"}).to_string(),
        };
        let batch = PageBatch {
            monitor: "m".into(),
            query: "(m) -is:retweet".into(),
            cursor: CursorMove::Complete { since_id: Some(1) },
            reads: 1,
            matched: vec![TaggedPost {
                post,
                places: vec!["Croydon".into()],
                decision: Decision::default(),
                flags: Flags::default(),
                reply_path: ReplyPath::Manual,
            }],
            authors: vec![Author {
                id: 5,
                username: "resident".into(),
                name: "A Resident".into(),
            }],
            context: vec![],
            read_kind: ReadKind::PostRead,
            at: "2026-11-26T10:00:00Z".into(),
            spooled_through: None,
        };
        store.record_pages(&batch).await.unwrap().new_items[0]
    }

    async fn team(store: &Store, name: &str, members: &[&str]) {
        let config = crate::config::TeamConfig {
            name: name.into(),
            emails: vec![],
            members: members.iter().map(|m| m.to_string()).collect(),
            teams_webhook_env: None,
            slack_webhook_env: None,
        };
        store.sync_config_teams(&[config]).await.unwrap();
    }

    fn kinds(list: &[Notification]) -> Vec<(String, Kind)> {
        list.iter().map(|n| (n.username.clone(), n.kind)).collect()
    }

    #[tokio::test]
    async fn assigned_tells_the_officer_or_each_team_member_but_never_the_actor() {
        let (_dir, store) = store().await;
        let item = one_item(&store).await;
        // "ghost" is a member no officer has: skipped.
        team(&store, "Streets team", &["alex", "ghost", "priya", "sam"]).await;

        let mut tx = store.begin_write().await.unwrap();
        let to_sam = assigned(&mut tx, &[item], &Assignee::Officer("sam".into()), "priya")
            .await
            .unwrap();
        let own = assigned(
            &mut tx,
            &[item],
            &Assignee::Officer("priya".into()),
            "priya",
        )
        .await
        .unwrap();
        let to_team = assigned(
            &mut tx,
            &[item],
            &Assignee::Team("streets TEAM".into()),
            "priya",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        assert_eq!(to_sam.len(), 1);
        assert!(own.is_empty(), "nobody is told of her own action");
        assert_eq!(to_team.len(), 2, "alex and sam; not priya, not ghost");
        let sam = store.notifications("sam", 10).await.unwrap();
        assert_eq!(sam.len(), 2);
        assert_eq!(
            sam[0].summary,
            format!("priya assigned item {item} to Streets team, a team you are in.")
        );
        assert_eq!(
            sam[1].summary,
            format!("priya assigned item {item} to you.")
        );
        assert!(
            sam.iter()
                .all(|n| n.kind == Kind::Assigned && n.item_id == Some(item))
        );
        assert_eq!(store.notifications("priya", 10).await.unwrap(), []);
        assert_eq!(store.unread_count("alex").await.unwrap(), 1);
    }

    #[tokio::test]
    async fn notifications_roll_back_with_the_change() {
        let (_dir, store) = store().await;
        let item = one_item(&store).await;
        let mut tx = store.begin_write().await.unwrap();
        assigned(&mut tx, &[item], &Assignee::Officer("sam".into()), "priya")
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(store.unread_count("sam").await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_failed_referral_tells_the_referrer_with_the_reason() {
        let (_dir, store) = store().await;
        let item = one_item(&store).await;
        let mut tx = store.begin_write().await.unwrap();
        let id = referral_failed(
            &mut tx,
            item,
            Reference::new(123),
            "550 mailbox unavailable",
            "sam",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let sam = store.notifications("sam", 10).await.unwrap();
        assert_eq!(sam.len(), 1);
        assert_eq!(Some(sam[0].id), id);
        assert_eq!(sam[0].kind, Kind::ReferralFailed);
        assert_eq!(sam[0].actor, "placewatch");
        assert_eq!(
            sam[0].summary,
            format!("Referral PW-000123 of item {item} could not be sent: 550 mailbox unavailable")
        );
    }

    #[tokio::test]
    async fn mentions_in_a_note_tell_existing_officers_once_each() {
        let (_dir, store) = store().await;
        let item = one_item(&store).await;
        store
            .add_note(
                item,
                "sam",
                "@alex @Priya @nobody and me @sam; mail sam@croydon.gov.uk, @alex again",
            )
            .await
            .unwrap();
        let mut told = Vec::new();
        for who in ["sam", "alex", "priya", "vic"] {
            told.extend(kinds(&store.notifications(who, 10).await.unwrap()));
        }
        assert_eq!(
            told,
            [
                ("alex".to_string(), Kind::Mentioned),
                ("priya".to_string(), Kind::Mentioned)
            ]
        );
    }

    #[tokio::test]
    async fn marking_read_touches_only_her_own() {
        let (_dir, store) = store().await;
        let item = one_item(&store).await;
        let mut tx = store.begin_write().await.unwrap();
        for _ in 0..3 {
            assigned(&mut tx, &[item], &Assignee::Officer("sam".into()), "priya")
                .await
                .unwrap();
        }
        assigned(&mut tx, &[item], &Assignee::Officer("alex".into()), "priya")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let sam = store.notifications("sam", 10).await.unwrap();
        let alex = store.notifications("alex", 10).await.unwrap();
        assert_eq!(sam.len(), 3);
        assert!(sam[0].id > sam[2].id, "newest first");

        let n = store
            .mark_read("sam", Which::Ids(&[sam[0].id, alex[0].id]))
            .await
            .unwrap();
        assert_eq!(n, 1, "alex's is not sam's to mark");
        assert_eq!(store.unread_count("sam").await.unwrap(), 2);
        assert_eq!(store.unread_count("alex").await.unwrap(), 1);
        assert_eq!(store.mark_read("sam", Which::All).await.unwrap(), 2);
        assert_eq!(store.unread_count("sam").await.unwrap(), 0);
        assert_eq!(store.mark_read("sam", Which::All).await.unwrap(), 0);
        assert!(
            store
                .notification("sam", alex[0].id)
                .await
                .unwrap()
                .is_none()
        );
    }
}
