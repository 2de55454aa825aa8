//! tokdeck: OAuth 2.0 / OpenID Connect tokens for developers with many accounts.
//!
//! Domain modules (`config`, `oauth`, `jwt`, `store`, `engine`) never touch the terminal;
//! `cli` is the scriptable front end.

// The one `unsafe` is the refresh worker's fork (engine/worker.rs, module `fork`).
#![deny(unsafe_code)]

pub mod agent;
pub mod browser;
pub mod cli;
pub mod clipboard;
pub mod config;
pub mod engine;
pub mod files;
pub mod humanize;
pub mod jwt;
pub mod logging;
pub mod oauth;
pub mod printable;
pub mod secret;
pub mod store;
pub mod token;
pub mod tools;
pub mod tui;
