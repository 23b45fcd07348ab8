//! Talking to X: the API v2 wire format (shared with the simulator), the
//! client, its typed errors and rate-limit headers, and the OAuth 2.0 login.

pub mod auth;
pub mod client;
pub mod error;
pub mod ratelimit;
pub mod wire;

pub use client::{Client, Page, SearchRequest, TimelineRequest, UserAuth};
pub use error::XError;
