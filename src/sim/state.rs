//! The simulator's shared state and how it is built: the world with its
//! accounts and backlog, the registered app, and the live stream of new posts.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::auth::{App, Auth};
use super::faults::Faults;
use super::generator::{Generator, RecentPost, Target};
use super::limits::{LimitSettings, Limits};
use super::world::{NewPost, Relation, SimUser, World};
use super::{Account, Credentials};

/// How the simulator is set up.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimOptions {
    pub seed: u64,
    /// New resident posts per minute after start (0 = none).
    pub rate_per_min: f64,
    /// Days of history generated at start.
    pub backlog_days: u32,
    /// Backlog posts per day.
    pub backlog_per_day: u32,
    pub places: Vec<String>,
    pub council_handle: String,
    pub council_name: String,
    /// Enterprise access lifts the 2026 reply restriction and allows 4096-character queries.
    pub enterprise: bool,
    pub query_max_len: usize,
    pub token_ttl_secs: u64,
    /// Approve OAuth consent without showing the page (tests).
    pub auto_approve: bool,
    pub limits: LimitSettings,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 42,
            rate_per_min: 3.0,
            backlog_days: 3,
            backlog_per_day: 400,
            places: [
                "Croydon",
                "East Croydon",
                "West Croydon",
                "Thornton Heath",
                "Purley",
            ]
            .map(String::from)
            .to_vec(),
            council_handle: "yourcroydon".into(),
            council_name: "Croydon Council".into(),
            enterprise: false,
            query_max_len: 512,
            token_ttl_secs: 7200,
            auto_approve: false,
            limits: LimitSettings::default(),
        }
    }
}

/// Request counters for `/_sim/stats`.
#[derive(Debug, Default, Serialize)]
pub struct Stats {
    /// "METHOD /route status" → count.
    pub requests: std::collections::BTreeMap<String, u64>,
    /// The latest X API requests, oldest first, for `/_sim/requests`.
    #[serde(skip)]
    pub log: VecDeque<LoggedRequest>,
    pub replies_created: u64,
    pub posts_created: u64,
}

/// How many requests `/_sim/requests` remembers.
pub const REQUEST_LOG_LEN: usize = 1000;

/// One X API request as received, for tests that check what a client sent.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    /// The query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    pub status: u16,
}

pub(super) struct Inner {
    pub options: RwLock<SimOptions>,
    pub world: RwLock<World>,
    pub auth: Mutex<Auth>,
    pub limits: Mutex<Limits>,
    pub faults: Mutex<Faults>,
    pub stats: Mutex<Stats>,
    pub generator: Mutex<Generator>,
    pub recent: Mutex<VecDeque<RecentPost>>,
    pub council: usize,
    pub credentials: Credentials,
}

/// Cheap to clone; shared by every handler.
#[derive(Clone)]
pub struct SimState(pub(super) Arc<Inner>);

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

const COUNCIL_POSTS: &[&str] = &[
    "Bin collections are running as normal this week. Check your day at https://www.croydon.gov.uk/bins",
    "Roadworks on {place} start Monday for three weeks. Diversions are signed.",
    "Our libraries are open late on Thursdays. Come and see us in {place}!",
    "Report fly-tipping, potholes and broken street lights online, 24/7: https://www.croydon.gov.uk/report",
    "Free family fun day in {place} park this Saturday, 11am to 4pm.",
    "Council tax bills for the new year are on their way. Pay online or set up a direct debit.",
    "Thank you to everyone who joined the {place} litter pick this morning 💚",
    "Planned closure: {place} recycling centre is shut on Tuesday for maintenance.",
];

impl SimState {
    pub fn build(options: SimOptions, base_url: String) -> SimState {
        let mut world = World::default();
        let start = now_ms();
        let council = world.add_user(SimUser {
            id: 1_500_000_001,
            username: options.council_handle.clone(),
            name: options.council_name.clone(),
            created_ms: start - 4_000 * 86_400_000,
            description: Some(format!("Official account of {}.", options.council_name)),
            location: Some("London".into()),
            verified: true,
            protected: false,
            followers: 48_000,
        });
        let generator = Generator::new(options.seed, &options.places, &options.council_handle);
        for r in generator.residents() {
            world.add_user(SimUser {
                id: 0,
                username: r.username.clone(),
                name: r.name.clone(),
                created_ms: start - 900 * 86_400_000,
                description: r.description.clone(),
                location: r.location.clone(),
                verified: r.verified,
                protected: r.protected,
                followers: r.followers,
            });
        }
        let apps = vec![App {
            client_id: "c2ltLWNvbmZpZGVudGlhbC1jbGllbnQ".into(),
            client_secret: Some(super::auth::random_token(50)),
            api_key: super::auth::random_token(25),
            api_secret: super::auth::random_token(50),
        }];
        let public_app = App {
            client_id: "c2ltLXB1YmxpYy1jbGllbnQ".into(),
            client_secret: None,
            api_key: super::auth::random_token(25),
            api_secret: super::auth::random_token(50),
        };
        let mut auth = Auth::new([apps, vec![public_app]].concat(), options.token_ttl_secs);
        let bearer = auth.app_bearer(0);
        let scopes: HashSet<String> = ["tweet.read", "tweet.write", "users.read", "offline.access"]
            .map(String::from)
            .into();
        let issued = auth.issue_tokens(0, council, scopes, start);
        let credentials = Credentials {
            base_url: base_url.clone(),
            bearer_token: bearer,
            client_id: auth.apps[0].client_id.clone(),
            client_secret: auth.apps[0].client_secret.clone().unwrap_or_default(),
            public_client_id: auth.apps[1].client_id.clone(),
            api_key: auth.apps[0].api_key.clone(),
            api_secret: auth.apps[0].api_secret.clone(),
            council: Account {
                id: world.users[council].id.to_string(),
                username: world.users[council].username.clone(),
            },
            user_access_token: issued.access_token,
            refresh_token: issued.refresh_token.unwrap_or_default(),
        };
        let state = SimState(Arc::new(Inner {
            limits: Mutex::new(Limits::new(options.limits.clone())),
            options: RwLock::new(options),
            world: RwLock::new(world),
            auth: Mutex::new(auth),
            faults: Mutex::new(Faults::default()),
            stats: Mutex::new(Stats::default()),
            generator: Mutex::new(generator),
            recent: Mutex::new(VecDeque::new()),
            council,
            credentials,
        }));
        state.fill_backlog(start);
        state
    }

    /// Number of posts in the world.
    pub fn post_count(&self) -> usize {
        self.0.world.read().expect("world lock").posts.len()
    }

    pub fn credentials(&self) -> Credentials {
        self.0.credentials.clone()
    }

    fn fill_backlog(&self, now: i64) {
        let (days, per_day) = {
            let o = self.0.options.read().expect("options lock");
            (o.backlog_days, o.backlog_per_day)
        };
        let count = u64::from(days) * u64::from(per_day);
        if count == 0 {
            return;
        }
        let span = i64::from(days) * 86_400_000;
        let step = span / count as i64;
        for k in 0..count as i64 {
            self.generate_post(now - span + k * step);
        }
    }

    /// Generates one post at `at_ms` (every 40th is the council's own).
    pub fn generate_post(&self, at_ms: i64) -> u64 {
        let mut recent = self.0.recent.lock().expect("recent lock");
        let mut world = self.0.world.write().expect("world lock");
        let n = world.posts.len();
        let (author, text, lang, reference, reply_settings, source) = if n % 40 == 7 {
            let places = &self.0.options.read().expect("options lock").places;
            let place = places
                .get(n / 40 % places.len().max(1))
                .cloned()
                .unwrap_or_default();
            let text = COUNCIL_POSTS[n / 40 % COUNCIL_POSTS.len()].replace("{place}", &place);
            (
                self.0.council,
                text,
                "en",
                None,
                "everyone",
                "Twitter Web App",
            )
        } else {
            let g = self
                .0
                .generator
                .lock()
                .expect("generator lock")
                .next_post(recent.make_contiguous());
            let reference = g.target.map(|t| match t {
                Target::Reply(id) => (Relation::Reply, id),
                Target::Quote(id) => (Relation::Quote, id),
                Target::Retweet(id) => (Relation::Retweet, id),
            });
            // Residents are added after the council, in generator order.
            (
                g.author + 1,
                g.text,
                g.lang,
                reference,
                g.reply_settings,
                g.source,
            )
        };
        let id = world.add_post(NewPost {
            author,
            text,
            created_ms: at_ms,
            reference,
            lang: lang.to_string(),
            reply_settings: reply_settings.to_string(),
            source: source.to_string(),
        });
        recent.push_back(RecentPost {
            id,
            author_username: world.users[author].username.clone(),
            by_council: author == self.0.council,
        });
        if recent.len() > 200 {
            recent.pop_front();
        }
        id
    }

    /// Posts at `rate_per_min` (with jitter) until shutdown.
    pub async fn run_live_stream(self, shutdown: CancellationToken) {
        loop {
            let rate = self.0.options.read().expect("options lock").rate_per_min;
            let wait = if rate > 0.0 {
                let jitter = 0.5 + rand::random::<f64>();
                Duration::from_secs_f64((60.0 / rate) * jitter)
            } else {
                Duration::from_secs(1)
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
            if rate > 0.0 {
                self.generate_post(now_ms());
            }
        }
    }
}
