//! Headless-Chromium tests of the officers' desk, against the real binary:
//! each test starts `placewatch demo` (the simulated X, the daemon and the
//! desk) and drives Chromium through chromedriver; the replicas' tests
//! start two `placewatch run` on one PostgreSQL store instead.
//!
//! Without Chromium, chromedriver (Debian's `chromium` and `chromium-driver`)
//! or, for the accessibility test, axe-core (`AXE_CORE_JS`, default
//! `target/axe/node_modules/axe-core/axe.min.js`), each test says SKIPPED on
//! stderr and passes, unless `PLACEWATCH_BROWSER_TESTS=require`.

#[path = "browser/harness.rs"]
mod harness;
#[path = "browser/page.rs"]
mod page;
// A database of its own per test, as the integration tests make them
// (the replicas' tests need PostgreSQL).
#[path = "it/postgres.rs"]
mod postgres;

#[path = "browser/access.rs"]
mod access;
#[path = "browser/accessibility.rs"]
mod accessibility;
#[path = "browser/assign.rs"]
mod assign;
#[path = "browser/bulk.rs"]
mod bulk;
#[path = "browser/hostile.rs"]
mod hostile;
#[path = "browser/inbox.rs"]
mod inbox;
#[path = "browser/keyboard.rs"]
mod keyboard;
#[path = "browser/notifications.rs"]
mod notifications;
#[path = "browser/queue.rs"]
mod queue;
#[path = "browser/refer.rs"]
mod refer;
#[path = "browser/replicas.rs"]
mod replicas;
#[path = "browser/reply.rs"]
mod reply;
#[path = "browser/reports.rs"]
mod reports;
#[path = "browser/spikes.rs"]
mod spikes;
#[path = "browser/status.rs"]
mod status;
#[path = "browser/teams.rs"]
mod teams;
#[path = "browser/tour.rs"]
mod tour;
