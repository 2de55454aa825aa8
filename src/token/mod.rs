//! What a token is and what is kept of it: the token set and its lifetime, what a token
//! is for (its target), and the stored record with the issuer, client and person it is
//! bound to. The bottom of the domain: storage (`store`) and protocol (`oauth`) both
//! build on it, and it imports neither.

pub mod lifetime;
mod record;
mod set;
mod target;

pub use lifetime::Lifetime;
pub use record::{Binding, Identity, TokenRecord};
pub use set::{SKEW_WARNING, TokenSet, check_token};
pub use target::Target;
