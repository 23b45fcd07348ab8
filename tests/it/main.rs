//! Integration tests: each starts the real simulator on an ephemeral loopback
//! port and talks to it over HTTP.

mod client;
mod helpers;
mod openapi;
mod sim_oauth;
mod sim_posts;
mod sim_search;
