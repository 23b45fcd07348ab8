//! Pure types and rules of placewatch. Nothing here does I/O: no tokio, reqwest,
//! axum or SQL. Everything is unit-tested directly.

pub mod channel;
pub mod csv;
pub mod figures;
pub mod hours;
pub mod ingest;
pub mod lease;
pub mod login;
pub mod mail;
pub mod notification;
pub mod officer;
pub mod outbox;
pub mod post;
pub mod presence;
pub mod query;
pub mod referral;
pub mod report;
pub mod search;
pub mod spike;
pub mod team;
pub mod text;
pub mod triage;
