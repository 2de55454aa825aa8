//! Whole-process costs of `tokdeck token`, each beside a baseline from the same run:
//! - a valid cached token (file store, keyring store) against a do-nothing Rust binary;
//! - a forced refresh against the provider's own response time for the same refresh,
//!   measured with a minimal HTTP client on another grant;
//! - the dashboard's first frame with 1,000 accounts, from process start, in a pty,
//!   against a program that prints the same marker through the same pty;
//! - a device login: the delay between the user's approval and tokdeck holding the
//!   tokens, against the polling interval.
//!
//! Needs the test provider (scripts/test installs it) and gnome-keyring + dbus.
//! Run: `cargo bench --bench token`

// The bench uses a few of the suite's helpers; the suite uses them all.
#[cfg(unix)]
#[allow(dead_code)]
#[path = "../tests/suite/common/mod.rs"]
mod common;
#[cfg(unix)]
#[path = "token/keyring.rs"]
mod keyring;
#[cfg(unix)]
#[path = "token/measure.rs"]
mod measure;

fn main() {
    #[cfg(unix)]
    measure::main();
    #[cfg(not(unix))]
    eprintln!("the token benchmark runs on Linux: it drives tokdeck and the test provider there");
}
