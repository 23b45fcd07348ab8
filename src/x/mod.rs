//! Talking to X: the API v2 wire format (shared with the simulator), and later
//! the client and OAuth 2.0 login.

pub mod wire;
