//! The reply outbox against the simulator: a reply goes out exactly once and
//! is audited; X's reply restriction and conversation controls move an item to
//! the manual path; duplicate content and unknown outcomes are reconciled
//! against the council's timeline; too long is refused before anything is
//! recorded; an expired token is refreshed once; a second reply needs an
//! override; a manual reply is detected; every action leaves one audit entry.
//!
//! The council account is logged in for real (OAuth 2.0 PKCE with the
//! simulator's auto-approve, `auth::AuthTest`), so the client holds a
//! `UserSession` that refreshes after a 401 exactly as in production.

mod audit;
mod cli;
mod kill;
mod manual;
mod reconcile;
mod sending;
mod stuck;

use std::time::Duration;

use placewatch::domain::ingest::{CursorMove, PageBatch, ReadKind, TaggedPost};
use placewatch::domain::outbox::ReplyState;
use placewatch::domain::post::{Author, Post};
use placewatch::domain::triage::{Account, Decision, Flags, ReplyPath};
use placewatch::reply::{Outbox, ReplyOutcome};
use placewatch::store::{Reply, ReplyFilter, Store};
use placewatch::x::{Client, TimelineRequest, UserAuth};
use secrecy::SecretString;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::auth::AuthTest;
use crate::engine::TestDb;
use placewatch::store::Engine;

pub const OFFICER: &str = "Priya Shah";

/// Author ids of the residents as stored (the simulator's own ids do not
/// matter to the outbox).
const AUTHOR_IDS: u64 = 9_000_000;

/// A logged-in council account, a store in the data dir, and an outbox.
pub struct ReplyTest {
    pub auth: AuthTest,
    pub outbox: Outbox,
    pub council: Account,
    posts: std::sync::atomic::AtomicU32,
}

impl ReplyTest {
    /// The outbox over a store on `engine`, opened as `placewatch run` opens
    /// it (`app::open_store`), or `None` when PostgreSQL is skipped.
    pub async fn on(engine: Engine) -> Option<ReplyTest> {
        let db = TestDb::on(engine).await?;
        let auth = AuthTest::start_public_on(db).await;
        let (account, _, _) = auth.login().await;
        let council = Account {
            id: account.id.parse().unwrap(),
            handle: account.username,
        };
        let client = Client::builder(
            auth.config.x.api_base.clone(),
            SecretString::from(auth.sim.creds().bearer_token.clone()),
        )
        .user(UserAuth::Session(auth.open().await))
        .build()
        .unwrap();
        let store = placewatch::app::open_store(&auth.config).await.unwrap();
        let mut outbox = Outbox::new(client, store, council.clone());
        outbox.in_flight_grace = Duration::ZERO;
        Some(ReplyTest {
            auth,
            outbox,
            council,
            posts: Default::default(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.outbox.store
    }

    /// A resident's post that @mentions the council, filed as an item on the API path.
    pub async fn summoned_item(&self, words: &str) -> (i64, u64) {
        let text = format!("@{} {words}", self.council.handle);
        let mentions = vec![self.council.handle.clone()];
        self.item(json!({ "text": text }), mentions, ReplyPath::Api)
            .await
    }

    /// Injects a resident's post (`post` gives at least `text`) and files it
    /// as an item with `path`. Returns the item's id and the post's id.
    pub async fn item(
        &self,
        mut post: Value,
        mentions: Vec<String>,
        path: ReplyPath,
    ) -> (i64, u64) {
        let n = self
            .posts
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let username = format!("resident{n}");
        post["author"] = json!(username);
        let id: u64 = self.auth.sim.inject(post.clone()).await[0].parse().unwrap();
        let matched = TaggedPost {
            post: Post {
                id,
                text: post["text"].as_str().unwrap().to_string(),
                author_id: Some(AUTHOR_IDS + u64::from(n)),
                created_at: None,
                conversation_id: Some(id),
                in_reply_to_user_id: None,
                replied_to: post["in_reply_to"].as_str().map(|s| s.parse().unwrap()),
                quoted: None,
                is_retweet: false,
                lang: Some("en".into()),
                reply_settings: post["reply_settings"].as_str().map(String::from),
                mentions,
                raw: "{}".into(),
            },
            places: vec!["Croydon".into()],
            decision: Decision::default(),
            flags: Flags {
                summoned: path == ReplyPath::Api,
                ..Flags::default()
            },
            reply_path: path,
        };
        let page = PageBatch {
            monitor: "test".into(),
            query: "Croydon".into(),
            cursor: CursorMove::Complete { since_id: None },
            matched: vec![matched],
            authors: vec![Author {
                id: AUTHOR_IDS + u64::from(n),
                username,
                name: format!("Resident {n}"),
            }],
            context: Vec::new(),
            reads: 0,
            read_kind: ReadKind::PostRead,
            at: OffsetDateTime::now_utc().format(&Rfc3339).unwrap(),
            spooled_through: None,
        };
        let outcome = self.store().record_pages(&page).await.unwrap();
        (outcome.new_items[0], id)
    }

    /// `/_sim/stats` `replies_created`.
    pub async fn replies_created(&self) -> u64 {
        self.auth.sim.stats().await["replies_created"]
            .as_u64()
            .unwrap()
    }

    /// How many `POST /2/tweets` the simulator answered with `status`.
    pub async fn posts_answered(&self, status: u16) -> u64 {
        self.auth.sim.stats().await["requests"][format!("POST /2/tweets {status}")]
            .as_u64()
            .unwrap_or(0)
    }

    /// Every `POST /2/tweets` the simulator received, whatever it answered.
    pub async fn posts_tried(&self) -> u64 {
        let stats = self.auth.sim.stats().await;
        stats["requests"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.starts_with("POST /2/tweets "))
            .map(|(_, v)| v.as_u64().unwrap())
            .sum()
    }

    /// The council's posts (on the simulator) that reply to `target`.
    pub async fn council_replies_to(&self, target: u64) -> Vec<Post> {
        let mut found = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .outbox
                .client
                .user_posts(
                    self.council.id,
                    &TimelineRequest {
                        max_results: Some(100),
                        pagination_token: token.take(),
                        ..TimelineRequest::default()
                    },
                )
                .await
                .unwrap();
            found.extend(
                page.posts
                    .into_iter()
                    .filter(|p| p.replied_to == Some(target)),
            );
            match page.meta.next_token {
                Some(next) => token = Some(next),
                None => return found,
            }
        }
    }

    /// Posts `text` as the council in reply to `target` straight at the
    /// simulator (another tool, or an earlier attempt whose record was lost).
    pub async fn council_posts_directly(&self, target: u64, text: &str) -> u64 {
        let r = self
            .auth
            .sim
            .post_as_council(
                json!({"text": text, "reply": {"in_reply_to_tweet_id": target.to_string()}}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        body["data"]["id"].as_str().unwrap().parse().unwrap()
    }

    /// The item's audit actions, oldest first.
    pub async fn audit_actions(&self, item: i64) -> Vec<(String, String)> {
        let mut entries = self.store().audit(Some(item), 1000).await.unwrap();
        entries.reverse();
        entries.into_iter().map(|e| (e.actor, e.action)).collect()
    }

    pub async fn audit_count(&self) -> usize {
        self.store().audit(None, 100_000).await.unwrap().len()
    }

    pub async fn replies_of(&self, item: i64) -> Vec<Reply> {
        self.store()
            .list_replies(&ReplyFilter {
                item_id: Some(item),
                ..ReplyFilter::default()
            })
            .await
            .unwrap()
    }

    /// Records a reply as `sending` without sending it (a crash right after the commit).
    pub async fn record_sending(&self, item: i64, text: &str) -> Reply {
        use placewatch::domain::text::ReplyText;
        use placewatch::store::NewReply;
        self.store()
            .record_reply(&NewReply {
                item_id: item,
                text: ReplyText::parse(text).unwrap(),
                template: None,
                officer: OFFICER.into(),
                state: ReplyState::Sending,
                path: ReplyPath::Api,
                override_by: None,
                intent_url: None,
                over_claim: false,
            })
            .await
            .unwrap()
    }
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

pub fn sent(outcome: ReplyOutcome) -> Reply {
    match outcome {
        ReplyOutcome::Sent { reply } => reply,
        other => panic!("expected sent, got {other:?}"),
    }
}
