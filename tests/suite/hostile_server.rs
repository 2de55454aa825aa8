//! The real binary against a hostile authorization server (a scripted stub on loopback
//! that records every request) and a hostile local machine (edited config, edited
//! cache, planted links): tokens go only where they were issued, and nothing a server
//! sends steers the terminal, the browser or git (issue 24).

use crate::common;

use common::provider::Provider;
use common::stub::{Stub, json};
use common::{Home, Run, bound_record};

/// No byte that could steer a terminal: ESC, BEL, CR (the server's texts are shown
/// escaped instead).
fn assert_inert(what: &str, text: &str) {
    for (c, name) in [
        ('\x1b', "ESC"),
        ('\x07', "BEL"),
        ('\r', "CR"),
        ('\u{9b}', "CSI"),
    ] {
        assert!(!text.contains(c), "{name} reached {what}: {text:?}");
    }
}

fn assert_inert_run(run: &Run) {
    assert_inert("stdout", &run.stdout);
    assert_inert("stderr", &run.stderr);
}

/// A provider that is only this stub: device and token endpoints, no discovery.
fn stub_home(stub: &Stub, extra: &str) -> Home {
    Home::new(&format!(
        r#"
[providers.stub]
client_id = "cli"
token_endpoint = "{token}"
device_authorization_endpoint = "{device}"

[accounts.dev]
provider = "stub"
flow = "device"
scopes = ["openid"]
{extra}
"#,
        token = stub.url("/token"),
        device = stub.url("/device"),
    ))
}

/// `account`'s record: an access token expired an hour ago and refresh token `rt1`,
/// bound to the stub's token endpoint.
fn expired_record(home: &Home, stub: &Stub, account: &str) {
    home.write_record(
        account,
        &bound_record(
            "old-access",
            Some("rt1"),
            Some("2020-01-01T00:00:00Z"),
            &stub.url("/token"),
            "cli",
        ),
    );
}

fn stored(home: &Home, account: &str, field: &str) -> String {
    home.record(account)["tokens"][field]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn endpoints_edited_in_the_config_receive_nothing_and_nothing_is_deleted() {
    let provider = Provider::start(&[]);
    let evil = Stub::start();
    evil.on("/revoke", vec![json(200, "")])
        .on("/introspect", vec![json(200, r#"{"active":true}"#)])
        .on("/userinfo", vec![json(200, r#"{"sub":"x"}"#)]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    home.ok(&["login", "dev"]);
    let before = home.record("dev");
    let binding = &before["binding"]["endpoints"];
    assert!(
        binding["revocation_endpoint"]
            .as_str()
            .is_some_and(|u| u.starts_with(&provider.issuer)),
        "the login binds every endpoint of the issuer's metadata: {before}"
    );

    let path = home.path().join("config.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    let edited = text.replace(
        "[providers.public]\n",
        &format!(
            "[providers.public]\nrevocation_endpoint = \"{}\"\nintrospection_endpoint = \"{}\"\nuserinfo_endpoint = \"{}\"\n",
            evil.url("/revoke"),
            evil.url("/introspect"),
            evil.url("/userinfo")
        ),
    );
    assert_ne!(edited, text);
    std::fs::write(&path, edited).expect("edit");

    for (args, key, url) in [
        (
            &["logout", "dev"][..],
            "revocation_endpoint",
            evil.url("/revoke"),
        ),
        (
            &["introspect", "dev"],
            "introspection_endpoint",
            evil.url("/introspect"),
        ),
        (
            &["userinfo", "dev"],
            "userinfo_endpoint",
            evil.url("/userinfo"),
        ),
    ] {
        let run = home.run(args);
        assert_eq!(
            run.code, 4,
            "{args:?} is refused like a changed issuer: {run}"
        );
        let bound = binding[key].as_str().expect("bound URL");
        assert!(
            run.stderr.contains(&url)
                && run.stderr.contains(bound)
                && run.stderr.contains("tokdeck login dev"),
            "the message names the bound URL, the new one and what to do: {run}"
        );
    }
    assert!(
        evil.seen().is_empty(),
        "the hostile endpoints received: {:?}",
        evil.seen()
    );
    assert_eq!(home.record("dev"), before, "nothing was deleted or changed");

    let run = home.run(&["logout", "dev", "--local"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("still live"), "{run}");
    assert!(evil.seen().is_empty());
    assert!(!home.path().join("tokens/dev.json").exists());
    // The grant was never revoked anywhere: the real provider still honours it.
    let refresh = before["tokens"]["refresh_token"].as_str().expect("rt");
    assert_eq!(provider.introspect(refresh)["active"], true);
}

#[test]
fn a_token_endpoint_moved_by_discovery_never_gets_the_refresh_token() {
    let provider = Provider::start(&[]);
    let evil = Stub::start();
    evil.on(
        "/token",
        vec![json(
            200,
            r#"{"access_token":"evil","token_type":"Bearer","expires_in":600}"#,
        )],
    );
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    home.ok(&["login", "dev"]);
    let before = home.record("dev");
    // The cached discovery document now names another token endpoint, as a changed
    // (or poisoned) live document would.
    let dir = home.path().join("cache/discovery");
    let mut moved = 0;
    for entry in std::fs::read_dir(&dir).expect("discovery cache") {
        let path = entry.expect("entry").path();
        let mut doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        doc["endpoints"]["token_endpoint"] = evil.url("/token").into();
        std::fs::write(&path, doc.to_string()).expect("write");
        moved += 1;
    }
    assert!(moved > 0, "a cached document to edit");
    let run = home.run(&["refresh", "dev"]);
    assert_eq!(run.code, 4, "{run}");
    assert!(run.stderr.contains(&evil.url("/token")), "{run}");
    assert!(evil.seen().is_empty(), "{:?}", evil.seen());
    assert_eq!(home.record("dev"), before);
    let refresh = before["tokens"]["refresh_token"].as_str().expect("rt");
    assert_eq!(provider.introspect(refresh)["active"], true);
}

#[test]
fn escape_sequences_from_the_server_reach_no_terminal() {
    let stub = Stub::start();
    stub.on(
        "/device",
        vec![json(
            200,
            r#"{"device_code":"dc","user_code":"AB\u001b]52;c;SGk=\u0007CD\rFAKE: login OK","verification_uri":"https://stub.example/device\u001b[2J","expires_in":60,"interval":1}"#,
        )],
    )
    .on(
        "/token",
        vec![json(
            400,
            r#"{"error":"access_denied\u001b[31m","error_description":"no\u001b]52;c;SGk=\u0007\r\u202eFAKE: login OK"}"#,
        )],
    );
    let home = stub_home(&stub, "");
    let run = home.run(&["login", "dev", "--no-browser"]);
    assert_eq!(run.code, 1, "{run}");
    assert_inert_run(&run);
    assert!(
        run.stderr.contains("AB\\x1b]52;c;SGk=\\x07CD\\rFAKE"),
        "shown escaped: {run}"
    );
    assert!(run.stderr.contains("\\u202e"), "{run}");

    // A person's name from the server, kept as received, printed escaped.
    let mut record = bound_record("at", None, None, &stub.url("/token"), "cli");
    record["identity"] = serde_json::json!({
        "iss": stub.base, "sub": "1", "email": "eve\u{1b}[2J\r\u{7}@example.test"
    });
    home.write_record("dev", &record);
    for args in [
        &["list"][..],
        &["token", "dev", "--json"],
        &["login", "dev", "--no-browser"],
    ] {
        let run = home.run(args);
        assert_inert_run(&run);
    }
    let run = home.ok(&["list"]);
    assert!(
        run.stdout.contains("eve\\x1b[2J\\r\\x07@example.test"),
        "{run}"
    );
    assert_eq!(
        home.record("dev")["identity"]["email"],
        "eve\u{1b}[2J\r\u{7}@example.test",
        "stored as received"
    );
    // JSON output stays JSON, with what JSON leaves raw (C1, bidi) escaped the JSON way.
    record["identity"]["name"] = "Eve \u{202e}\u{9b}gro.live".into();
    record["identity"]["email"] = serde_json::Value::Null;
    home.write_record("dev", &record);
    let run = home.ok(&["list", "--json"]);
    assert_inert_run(&run);
    assert!(
        !run.stdout.contains('\u{202e}') && !run.stdout.contains('\u{9b}'),
        "{run}"
    );
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert!(
        rows.to_string().contains("Eve \u{202e}"),
        "the value survives: {rows}"
    );
}

#[test]
fn huge_lifetimes_are_capped_and_a_rotated_refresh_token_is_always_kept() {
    let stub = Stub::start();
    let home = stub_home(&stub, "");
    for (expires_in, rotated) in [("1e30", "rt2"), ("9223372036854775807", "rt3")] {
        expired_record(&home, &stub, "dev");
        stub.on(
            "/token",
            vec![json(
                200,
                &format!(
                    r#"{{"access_token":"new-{rotated}","refresh_token":"{rotated}","token_type":"Bearer","expires_in":{expires_in}}}"#
                ),
            )],
        );
        let run = home.run(&["token", "dev"]);
        assert_eq!(run.code, 0, "expires_in {expires_in}: {run}");
        assert_eq!(run.stdout.trim(), format!("new-{rotated}"));
        assert_eq!(stored(&home, "dev", "refresh_token"), rotated);
        let expires = stored(&home, "dev", "expires_at");
        let year: i32 = expires[..4].parse().expect("year");
        let now: i32 = chrono_year();
        assert!(
            (now + 9..=now + 10).contains(&year),
            "capped at ten years: {expires}"
        );
    }
    // An answer serde cannot read at all (a number out of range, bytes after the
    // object) still has its rotated refresh token kept.
    for (body, rotated) in [
        (
            r#"{"access_token":"a","refresh_token":"rt5","token_type":"Bearer","expires_in":1e400}"#,
            "rt5",
        ),
        (
            r#"{"access_token":"a","refresh_token":"rt6","token_type":"Bearer"} trailing"#,
            "rt6",
        ),
    ] {
        expired_record(&home, &stub, "dev");
        stub.on("/token", vec![json(200, body)]);
        let run = home.run(&["token", "dev"]);
        assert_eq!(run.code, 1, "{body}: {run}");
        assert_eq!(stored(&home, "dev", "refresh_token"), rotated, "{body}");
        assert_eq!(stored(&home, "dev", "access_token"), "old-access");
    }
    // An answer refused after the provider rotated: the new refresh token is kept.
    expired_record(&home, &stub, "dev");
    stub.on(
        "/token",
        vec![json(
            200,
            r#"{"access_token":"x","refresh_token":"rt4","token_type":"Bearer","expires_in":-5}"#,
        )],
    );
    let run = home.run(&["token", "dev"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("expires_in is negative"), "{run}");
    assert_eq!(stored(&home, "dev", "refresh_token"), "rt4");
    assert_eq!(stored(&home, "dev", "access_token"), "old-access");
}

fn chrono_year() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    1970 + (secs / 31_556_952) as i32
}

#[test]
fn only_an_http_url_reaches_the_browser_and_never_as_an_option() {
    let stub = Stub::start();
    let mut home = stub_home(&stub, "");
    let seen = home.path().join("browser-args");
    let script = home.path().join("browser.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\n", seen.display()),
    )
    .expect("script");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    home.set("BROWSER", &script.display().to_string());
    stub.on("/token", vec![json(400, r#"{"error":"access_denied"}"#)]);
    for hostile in [
        "--utility-cmd-prefix=/bin/sh",
        "file:///etc/passwd",
        "https://x.example/a b",
    ] {
        stub.on(
            "/device",
            vec![json(
                200,
                &serde_json::json!({
                    "device_code": "dc", "user_code": "AB-CD",
                    "verification_uri": "https://stub.example/device",
                    "verification_uri_complete": hostile,
                    "expires_in": 60, "interval": 1
                })
                .to_string(),
            )],
        );
        let run = home.run(&["login", "dev"]);
        assert!(run.stderr.contains("did not open"), "{hostile}: {run}");
        assert!(!seen.exists(), "{hostile} reached the browser");
    }
    // The control: a plain https URL is opened.
    stub.on(
        "/device",
        vec![json(
            200,
            r#"{"device_code":"dc","user_code":"AB-CD","verification_uri":"https://stub.example/device","verification_uri_complete":"https://stub.example/device?code=AB-CD","expires_in":60,"interval":1}"#,
        )],
    );
    home.run(&["login", "dev"]);
    let args = std::fs::read_to_string(&seen).expect("the browser ran");
    assert_eq!(args.trim(), "https://stub.example/device?code=AB-CD");
}

#[test]
fn tokens_with_line_breaks_or_nothing_in_them_are_refused_on_arrival_and_in_the_store() {
    let stub = Stub::start();
    let home = stub_home(&stub, "urls = [\"https://git.example.test/\"]");
    for (answer, field) in [
        (
            r#"{"access_token":"abc\r\nusername=evil","refresh_token":"rt2","token_type":"Bearer","expires_in":600}"#,
            "access_token",
        ),
        (
            r#"{"access_token":"","refresh_token":"rt2","token_type":"Bearer","expires_in":600}"#,
            "access_token",
        ),
        (
            r#"{"access_token":"fine","refresh_token":"r t","token_type":"Bearer","expires_in":600}"#,
            "refresh_token",
        ),
    ] {
        expired_record(&home, &stub, "dev");
        stub.on("/token", vec![json(200, answer)]);
        let run = home.run(&["token", "dev"]);
        assert_eq!(run.code, 1, "{answer}: {run}");
        assert!(run.stderr.contains(&format!("the {field}")), "{run}");
        assert!(
            !run.stderr.contains("username=evil") && run.stdout.is_empty(),
            "{run}"
        );
        assert_eq!(stored(&home, "dev", "access_token"), "old-access");
    }
    // A bad token already in the store (an edited file) is handed to nobody.
    home.write_record(
        "dev",
        &bound_record(
            "good\nusername=evil",
            None,
            Some("2099-01-01T00:00:00Z"),
            &stub.url("/token"),
            "cli",
        ),
    );
    for args in [
        &["token", "dev"][..],
        &["header", "dev"],
        &["export", "dev"],
    ] {
        let run = home.run(args);
        assert_ne!(run.code, 0, "{args:?}: {run}");
        assert!(!run.stdout.contains("username=evil"), "{run}");
    }
    let git = home.shell(
        "sh",
        "printf 'protocol=https\\nhost=git.example.test\\n\\n' | tokdeck git-credential get",
    );
    assert!(
        !git.stdout.contains("username=evil") && !git.stdout.contains("password="),
        "git's transcript: {git}"
    );
}

#[cfg(unix)]
#[test]
fn lock_files_and_the_log_never_follow_a_link() {
    let stub = Stub::start();
    stub.on(
        "/token",
        vec![json(
            200,
            r#"{"access_token":"new","token_type":"Bearer","expires_in":600}"#,
        )],
    );
    let mut home = stub_home(&stub, "");
    expired_record(&home, &stub, "dev");
    let precious = home.path().join("precious");
    std::fs::write(&precious, "keep me").expect("write");
    std::fs::create_dir_all(home.path().join("locks")).expect("locks");
    std::os::unix::fs::symlink(&precious, home.path().join("locks/dev.lock")).expect("link");
    let run = home.run(&["token", "dev"]);
    assert_ne!(run.code, 0, "{run}");
    assert!(run.stderr.contains("symbolic link"), "{run}");
    assert_eq!(std::fs::read_to_string(&precious).expect("read"), "keep me");
    assert!(stub.seen().is_empty(), "no refresh without the lock");

    // The log: a link is refused; a loose existing file is made private.
    std::fs::remove_file(home.path().join("locks/dev.lock")).expect("unlink");
    std::os::unix::fs::symlink(&precious, home.path().join("tokdeck.log")).expect("link");
    home.set("TOKDECK_LOG", "debug");
    let run = home.run(&["token", "dev"]);
    assert_ne!(run.code, 0, "{run}");
    assert!(run.stderr.contains("symbolic link"), "{run}");
    assert_eq!(std::fs::read_to_string(&precious).expect("read"), "keep me");
    std::fs::remove_file(home.path().join("tokdeck.log")).expect("unlink");
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(home.path().join("tokdeck.log"), "").expect("log");
    std::fs::set_permissions(
        home.path().join("tokdeck.log"),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    home.ok(&["token", "dev"]);
    let mode = std::fs::metadata(home.path().join("tokdeck.log"))
        .expect("log")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[cfg(unix)]
#[test]
fn a_config_with_a_secret_that_others_can_read_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let stub = Stub::start();
    let home = Home::new(&format!(
        "[providers.s]\nclient_id = \"svc\"\nclient_secret = \"s3cret\"\ntoken_endpoint = \"{}\"\n\n[accounts.svc]\nprovider = \"s\"\nflow = \"client_credentials\"\n",
        stub.url("/token")
    ));
    let config = home.path().join("config.toml");
    let run = home.ok(&["list"]);
    assert!(!run.stderr.contains("other users"), "{run}");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let run = home.ok(&["list"]);
    assert!(
        run.stderr
            .contains("holds a client_secret and other users can read it")
            && run.stderr.contains("chmod 600"),
        "{run}"
    );
    assert!(!run.stderr.contains("s3cret"), "{run}");
}

#[test]
fn a_record_bound_before_every_endpoint_was_still_keeps_its_tokens_home() {
    let stub = Stub::start();
    let evil = Stub::start();
    evil.on("/introspect", vec![json(200, r#"{"active":true}"#)])
        .on("/revoke", vec![json(200, "")])
        .on("/userinfo", vec![json(200, r#"{"sub":"x"}"#)]);
    stub.on("/introspect", vec![json(200, r#"{"active":true}"#)]);
    // A record as tokdeck 0.1.x wrote it: only the token endpoint and client bound.
    let home = stub_home(
        &stub,
        &format!(
            "\n[providers.moved]\nclient_id = \"cli\"\ntoken_endpoint = \"{}\"\nintrospection_endpoint = \"{}\"\nrevocation_endpoint = \"{}\"\nuserinfo_endpoint = \"{}\"\n\n[accounts.old]\nprovider = \"moved\"\nflow = \"device\"\n",
            stub.url("/token"),
            evil.url("/introspect"),
            evil.url("/revoke"),
            evil.url("/userinfo"),
        ),
    );
    home.write_record(
        "old",
        &bound_record(
            "at",
            Some("rt"),
            Some("2099-01-01T00:00:00Z"),
            &stub.url("/token"),
            "cli",
        ),
    );
    let before = home.record("old");
    for args in [
        &["introspect", "old"][..],
        &["userinfo", "old"],
        &["logout", "old"],
    ] {
        let run = home.run(args);
        assert_eq!(run.code, 4, "{args:?}: {run}");
        assert!(run.stderr.contains(&evil.base), "{run}");
    }
    assert!(evil.seen().is_empty(), "{:?}", evil.seen());
    assert_eq!(home.record("old"), before);
    // On the token endpoint's own server, such a record still works.
    let path = home.path().join("config.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        text.replace(&evil.url("/introspect"), &stub.url("/introspect")),
    )
    .expect("edit");
    let run = home.ok(&["introspect", "old"]);
    assert!(run.stdout.contains("active"), "{run}");
}

#[test]
fn an_id_token_that_cannot_be_judged_is_never_replaced_by_the_access_token() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let stub = Stub::start();
    let home = stub_home(&stub, "");
    let no_exp = format!(
        "{}.{}.",
        b64(r#"{"alg":"none"}"#),
        b64(r#"{"sub":"1","aud":"cli"}"#)
    );
    let mut record = bound_record(
        "ACCESS-NOT-ID",
        None,
        Some("2099-01-01T00:00:00Z"),
        &stub.url("/token"),
        "cli",
    );
    record["tokens"]["id_token"] = no_exp.into();
    home.write_record("dev", &record);
    let run = home.run(&["token", "dev", "--id-token"]);
    assert_ne!(run.code, 0, "{run}");
    assert!(!run.stdout.contains("ACCESS-NOT-ID"), "{run}");
    assert!(run.stderr.contains("no readable `exp`"), "{run}");

    // An ID token with a line break in the store is dropped at the next refresh, not
    // carried into the new set (and served) again.
    let mut record = bound_record(
        "at",
        Some("rt1"),
        Some("2020-01-01T00:00:00Z"),
        &stub.url("/token"),
        "cli",
    );
    record["tokens"]["id_token"] = "eyJ\n$(touch pwned)\nx".into();
    home.write_record("dev", &record);
    stub.on(
        "/token",
        vec![json(200, r#"{"access_token":"fresh","refresh_token":"rt2","token_type":"Bearer","expires_in":600}"#)],
    );
    let run = home.ok(&["export", "dev"]);
    assert!(
        run.stdout.contains("fresh") && !run.stdout.contains("touch"),
        "{run}"
    );
    assert!(home.record("dev")["tokens"]["id_token"].is_null());
}
