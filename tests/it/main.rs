//! Integration tests: each starts the real simulator on an ephemeral loopback
//! port and talks to it over HTTP (the mail tests start a real SMTP server
//! instead, `tests/support/smtp_sink.py`).

mod auth;
mod channels;
mod client;
mod demo;
mod desk;
mod engine;
mod helpers;
mod kill;
mod logs;
mod mail;
mod monitoring;
mod openapi;
mod packaging;
mod poller;
mod postgres;
mod referrals;
mod replicas;
mod replies;
mod reply_check;
mod sim_oauth;
mod sim_posts;
mod sim_search;
mod store;
mod weekly_report;
