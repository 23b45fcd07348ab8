//! placewatch: watches X for posts about a council's area and helps its comms
//! officers triage and answer them.
//!
//! Dependencies run one way: `domain` ← {`x`, `store`} ← {`poller`, `reply`} ← `web`
//! ← `app` ← `cli`. `sim` sits beside `x` and shares only its wire types and
//! `domain::query`.

pub mod app;
pub mod channels;
pub mod cli;
pub mod config;
pub mod domain;
pub mod failpoint;
pub mod files;
pub mod mail;
pub mod notify;
pub mod poller;
pub mod referral;
pub mod replica;
pub mod reply;
pub mod reports;
pub mod sim;
pub mod store;
pub mod web;
pub mod x;
