//! `tokdeck agent`: one process that holds the tokens, answers other processes over a
//! socket only the user can reach, asks the person before it hands a token to a caller
//! it does not trust, and records who got what.
//!
//! Above the engine (it serves tokens as the engine gives them), below the front ends:
//! `cli` starts it and asks it, the dashboard answers its questions.

pub mod audit;
pub mod caller;
#[cfg(unix)]
pub mod client;
pub mod policy;
pub mod protocol;
#[cfg(unix)]
pub mod server;
pub mod socket;
