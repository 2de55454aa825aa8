//! Hostile and broken provider responses: each gets a clear message and the store is
//! left as it was.

use crate::common;

use common::Home;
use common::stub::{Stub, drip, html, json, redirect};
use std::time::{Duration, Instant};

fn home_for(token_endpoint: &str) -> Home {
    Home::new(&format!(
        "[providers.p]\nclient_id = \"svc\"\nclient_secret = \"svc-secret\"\ntoken_endpoint = \"{token_endpoint}\"\n\
         [accounts.svc]\nprovider = \"p\"\nflow = \"client_credentials\"\n"
    ))
}

/// Runs `token svc` against one scripted answer; returns stderr, asserting failure and
/// that nothing was stored.
fn fails_with(reply: common::stub::Reply) -> String {
    let stub = Stub::start();
    stub.on("/token", vec![reply]);
    let mut home = home_for(&stub.url("/token"));
    home.set("TOKDECK_HTTP_TIMEOUT", "2");
    let run = home.run(&["token", "svc"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stdout.is_empty(), "{run}");
    assert!(
        !home.path().join("tokens/svc.json").exists(),
        "nothing stored"
    );
    run.stderr
}

#[test]
fn gateway_errors_name_the_status_and_show_the_page_text() {
    for status in [500, 502, 503] {
        let err = fails_with(html(
            status,
            "<html><body><h1>Service Unavailable</h1><p>try later</p></body></html>",
        ));
        assert!(err.contains(&format!("answered HTTP {status}")), "{err}");
        assert!(err.contains("'Service Unavailable try later'"), "{err}");
    }
}

#[test]
fn a_10_mb_body_is_not_read_to_the_end() {
    let err = fails_with(json(
        200,
        &format!("{{\"access_token\":\"{}\"}}", "a".repeat(10 * 1024 * 1024)),
    ));
    assert!(err.contains("sent more than 1048576 bytes"), "{err}");
}

#[test]
fn wrong_token_type_and_negative_expires_in_are_refused() {
    let err = fails_with(json(
        200,
        r#"{"access_token":"x","token_type":"mac","expires_in":60}"#,
    ));
    assert!(err.contains("token_type 'mac' is not supported"), "{err}");
    let err = fails_with(json(
        200,
        r#"{"access_token":"x","token_type":"Bearer","expires_in":-30}"#,
    ));
    assert!(err.contains("expires_in is negative (-30)"), "{err}");
    assert!(!err.contains("\"x\""), "{err}");
}

#[test]
fn a_redirect_to_another_host_is_never_followed() {
    let evil = Stub::start();
    evil.on(
        "/steal",
        vec![json(
            200,
            r#"{"access_token":"from-evil","token_type":"Bearer"}"#,
        )],
    );
    let err = fails_with(redirect(&evil.url("/steal")));
    assert!(
        err.contains(&format!("redirects to '{}'", evil.url("/steal"))),
        "{err}"
    );
    assert!(err.contains("never follows redirects"), "{err}");
    assert!(
        evil.requests().is_empty(),
        "the client secret never went to the other host"
    );
}

#[test]
fn a_slow_drip_ends_at_the_timeout() {
    let start = Instant::now();
    let err = fails_with(drip());
    assert!(err.contains("did not answer within 2 s"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "bounded: {:?}",
        start.elapsed()
    );
}

#[test]
fn dns_failure_and_refused_connections_are_named() {
    let home = home_for("https://tokdeck-test.invalid/token");
    let run = home.run(&["token", "svc"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("tokdeck-test.invalid"), "{run}");
    assert!(
        run.stderr.contains("dns error") || run.stderr.contains("failed to lookup"),
        "{run}"
    );
}

#[test]
fn a_failed_refresh_keeps_the_stored_tokens_byte_for_byte() {
    let stub = Stub::start();
    stub.on(
        "/token",
        vec![json(
            200,
            r#"{"access_token":"first","token_type":"Bearer","expires_in":1}"#,
        )],
    );
    let home = home_for(&stub.url("/token"));
    home.ok(&["token", "svc"]);
    let before = std::fs::read(home.path().join("tokens/svc.json")).expect("stored");
    for reply in [
        html(502, "<h1>Bad Gateway</h1>"),
        json(200, "{\"access_token\":"),
        json(200, r#"{"access_token":"y","token_type":"mac"}"#),
    ] {
        stub.on("/token", vec![reply]);
        let run = home.run(&["refresh", "svc"]);
        assert_eq!(run.code, 1, "{run}");
        assert_eq!(
            std::fs::read(home.path().join("tokens/svc.json")).expect("still there"),
            before
        );
    }
}

#[cfg(unix)]
#[test]
fn a_disk_full_save_leaves_the_old_tokens_intact() {
    let stub = Stub::start();
    stub.on(
        "/token",
        vec![json(
            200,
            r#"{"access_token":"first","token_type":"Bearer","expires_in":3600}"#,
        )],
    );
    let home = home_for(&stub.url("/token"));
    home.ok(&["token", "svc"]);
    let path = home.path().join("tokens/svc.json");
    let before = std::fs::read(&path).expect("stored");
    // A much longer token that cannot be written: the file size limit plays the full disk.
    let long = format!(
        r#"{{"access_token":"{}","token_type":"Bearer","expires_in":3600}}"#,
        "n".repeat(64 * 1024)
    );
    stub.on("/token", vec![json(200, &long)]);
    let command = home.command(&["refresh", "svc"]);
    let program = command.get_program().to_owned();
    let args: Vec<_> = command
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let script = format!(
        "ulimit -f 16; exec '{}' {}",
        program.to_string_lossy(),
        args.join(" ")
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .envs(
            command
                .get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .output()
        .expect("run under ulimit");
    assert!(!out.status.success(), "the save cannot have succeeded");
    assert_eq!(
        std::fs::read(&path).expect("still there"),
        before,
        "old tokens intact"
    );
    let leftovers = std::fs::read_dir(home.path().join("tokens"))
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name() != "svc.json")
        .count();
    // A killed writer may leave its temp file, never a damaged svc.json.
    assert!(leftovers <= 1, "{leftovers} stray files");
    home.ok(&["list"]);
}
