//! Every integration test in one binary: one link for the suite, and modules named
//! after what they test. The servers, fixtures and scripts they use are under tests/.
//! It drives programs on a Unix host (Linux here); Windows is tested from here by running
//! the Windows build under Wine (windows_wine.rs), so on Windows the suite is empty.
#![cfg(unix)]

mod agent;
mod api_url;
mod common;
mod dashboard_tmux;
mod faults;
mod hostile_server;
mod identity;
mod keyring_store;
mod modern_oauth;
mod output_errors;
mod provider_flows;
mod refresh_races;
mod remote_hosts;
mod script_cli;
mod second_server;
mod secrets_redacted;
mod stub_provider;
mod tools;
mod verify_tokens;
mod windows_wine;
