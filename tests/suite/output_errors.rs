//! Output that cannot fail silently: a write error on stdout is exit 1 with the reason,
//! a closed pipe (`tokdeck list | head -1`) ends quietly, for every command that prints.

use crate::common;

use common::{Home, Run};
use std::process::Stdio;

/// A file-store account with a valid token that never expires: no provider needed.
fn home() -> Home {
    let home = Home::new(
        "[providers.plain]\nclient_id = \"c\"\ntoken_endpoint = \"http://127.0.0.1:9/token\"\n[accounts.x]\nprovider = \"plain\"\n",
    );
    home.write_record(
        "x",
        &common::bound_record("at-123", None, None, "http://127.0.0.1:9/token", "c"),
    );
    home
}

const JWT: &str = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";

/// Every command that prints something on stdout.
const PRINTING: &[&[&str]] = &[
    &["token", "x"],
    &["token", "x", "--min-valid", "30"],
    &["header", "x"],
    &["export", "x"],
    &["export", "x", "--format", "json"],
    &["export", "x", "--format", "dotenv"],
    &["export", "x", "--format", "curl"],
    &["token", "x", "--json"],
    &["add", "y", "--provider", "plain", "--dry-run"],
    &["list"],
    &["list", "--json"],
    &["which"],
    &["which", "--json"],
    &["decode", JWT],
    &["providers"],
    &["providers", "--json"],
    &["completions", "bash"],
    &["man"],
    &["--help"],
    &["--version"],
    &["help", "list"],
];

fn run_with(home: &Home, args: &[&str], stdout: Stdio) -> Run {
    let output = home
        .command(args)
        .env("TOKDECK_ACCOUNT", "x")
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .expect("run");
    Run::from(output)
}

#[test]
fn every_command_prints_what_it_should_first() {
    let home = home();
    for args in PRINTING {
        let run = run_with(&home, args, Stdio::piped());
        assert_eq!(run.code, 0, "{args:?}: {run}");
        assert!(!run.stdout.is_empty(), "{args:?} prints: {run}");
    }
}

#[test]
fn a_full_disk_is_exit_1_with_the_reason() {
    let home = home();
    for args in PRINTING {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let run = run_with(&home, args, Stdio::from(full));
        assert_eq!(run.code, 1, "{args:?}: {run}");
        assert!(
            run.stderr
                .contains("tokdeck: cannot write to standard output: No space left on device"),
            "{args:?}: {run}"
        );
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let home = home();
    for args in PRINTING {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let run = run_with(&home, args, Stdio::from(writer));
        assert_eq!(run.code, 0, "{args:?}: {run}");
        assert!(run.stderr.is_empty(), "nothing said: {args:?}: {run}");
    }
}
