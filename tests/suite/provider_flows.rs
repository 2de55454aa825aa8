//! Every flow of the real `tokdeck` binary against a real, certified provider
//! (oidc-provider) with refresh-token rotation, played by a headless user as `$BROWSER`.

use crate::common;

use common::Home;
use common::provider::Provider;
use serde_json::Value;

fn logged_in(provider: &Provider, account: &str) -> Home {
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    home.ok(&["login", account]);
    home
}

fn decode(home: &Home, token: &str) -> Value {
    let run = home.ok(&["decode", token.trim()]);
    serde_json::from_str(&run.stdout).expect("decode prints JSON")
}

fn stored(home: &Home, account: &str, field: &str) -> String {
    home.record(account)["tokens"][field]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn device_login_then_token_works_with_the_provider_stopped() {
    // As shipped: no `interval`, so tokdeck polls every 5 s (RFC 8628 §3.2 default).
    let mut provider = Provider::start_plain(&[]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    let login = home.ok(&["login", "dev"]);
    assert!(login.stderr.contains("enter the code"), "{login}");
    assert!(login.stderr.contains("refresh token held"), "{login}");
    assert!(
        login.stdout.is_empty(),
        "login prints nothing on stdout: {login}"
    );

    let token = home.ok(&["token", "dev"]).stdout;
    assert_eq!(token.trim(), stored(&home, "dev", "access_token"));
    let jwt = decode(&home, &token);
    assert_eq!(jwt["format"], "jwt");
    assert_eq!(jwt["claims"]["iss"], provider.issuer.as_str());
    assert_eq!(jwt["claims"]["sub"], "alice");
    assert!(
        jwt["times"]["exp"]
            .as_str()
            .unwrap_or_default()
            .contains("(in "),
        "{jwt}"
    );

    // No network for a valid cached token: the provider is gone and it still works.
    provider.stop();
    let again = home.ok(&["token", "dev"]);
    assert_eq!(again.stdout, token);
    assert!(again.stderr.is_empty(), "nothing alarming: {again}");
    let header = home.ok(&["header", "dev"]);
    assert_eq!(header.stdout, format!("Authorization: Bearer {token}"));
}

#[test]
fn device_login_denied_by_the_user() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    home.set("TOKDECK_TEST_DENY", "1");
    let run = home.run(&["login", "dev"]);
    assert_eq!(run.code, 1, "{run}\n{}", home.browser_log());
    assert!(run.stderr.contains("denied"), "{run}");
    assert!(!home.path().join("tokens/dev.json").exists());
}

#[test]
fn browser_login_with_pkce_for_public_and_confidential_clients() {
    let provider = Provider::start(&[]);
    for account in ["web", "web-public"] {
        let mut home = Home::new(&provider.config());
        home.with_headless_user();
        let login = home.ok(&["login", account]);
        assert!(login.stderr.contains("http://127.0.0.1:"), "{login}");
        assert!(
            home.browser_log().contains("200"),
            "the browser saw the success page: {}",
            home.browser_log()
        );
        assert!(
            !stored(&home, account, "refresh_token").is_empty(),
            "offline_access gave a refresh token"
        );
        let id_token = home.ok(&["token", account, "--id-token"]).stdout;
        let claims = &decode(&home, &id_token)["claims"];
        assert_eq!(claims["iss"], provider.issuer.as_str());
        assert!(
            claims["nonce"].as_str().is_some_and(|n| n.len() > 10),
            "{claims}"
        );
    }
    let log = provider.log();
    assert!(log.contains("/token"), "{log}");
}

#[test]
fn browser_login_denied_at_consent() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    home.set("TOKDECK_TEST_DENY", "1");
    let run = home.run(&["login", "web"]);
    assert_eq!(run.code, 1, "{run}\n{}", home.browser_log());
    assert!(run.stderr.contains("denied"), "{run}");
}

#[test]
fn client_credentials_needs_no_login() {
    let provider = Provider::start(&[]);
    let home = Home::new(&provider.config());
    let token = home.ok(&["token", "svc"]).stdout;
    let jwt = decode(&home, &token);
    assert_eq!(jwt["claims"]["client_id"], "tokdeck-service");
    assert_eq!(stored(&home, "svc", "refresh_token"), "");
    // Cached: a second call returns the same token.
    assert_eq!(home.ok(&["token", "svc"]).stdout, token);
    // An explicit login works too and replaces it.
    home.ok(&["login", "svc"]);
    assert_ne!(home.ok(&["token", "svc"]).stdout, token);
}

#[test]
fn expired_token_is_refreshed_and_the_rotated_refresh_token_stored() {
    let provider = Provider::start(&["--access-ttl", "2"]);
    let home = logged_in(&provider, "dev");
    let first_access = stored(&home, "dev", "access_token");
    let first_refresh = stored(&home, "dev", "refresh_token");
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let list = home.ok(&["list", "--json"]);
    let rows: Value = serde_json::from_str(&list.stdout).expect("json");
    let dev = rows
        .as_array()
        .and_then(|r| r.iter().find(|r| r["account"] == "dev"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(dev["state"], "expired", "{dev}");

    let token = home.ok(&["token", "dev", "--min-valid", "0"]).stdout;
    assert_ne!(token.trim(), first_access, "a refresh happened");
    assert_eq!(token.trim(), stored(&home, "dev", "access_token"));
    let rotated = stored(&home, "dev", "refresh_token");
    assert_ne!(
        rotated, first_refresh,
        "the provider rotated the refresh token and tokdeck kept the new one"
    );
    assert!(home.record("dev")["last_refresh"].is_string());

    // Had tokdeck kept the old refresh token, the provider (reuse detection) would refuse this.
    home.ok(&["refresh", "dev"]);
    assert_ne!(stored(&home, "dev", "refresh_token"), rotated);
}

#[test]
fn logout_revokes_so_the_provider_rejects_the_old_refresh_token() {
    let provider = Provider::start(&[]);
    let home = logged_in(&provider, "dev");
    let saved = std::fs::read(home.path().join("tokens/dev.json")).expect("token file");
    let run = home.ok(&["logout", "dev"]);
    assert!(run.stderr.contains("(revoked the refresh token)"), "{run}");
    // oidc-provider answers unsupported_token_type for JWT access tokens (RFC 7009 §2.2.1).
    assert!(
        run.stderr
            .contains("cannot revoke this access token; it stays valid until it expires (in "),
        "{run}"
    );
    assert!(
        !home.path().join("tokens/dev.json").exists(),
        "deleted locally"
    );
    assert_eq!(home.run(&["token", "dev"]).code, 4);

    // Put the old tokens back: the provider must refuse their refresh token now.
    std::fs::write(home.path().join("tokens/dev.json"), saved).expect("restore");
    let refresh = home.run(&["refresh", "dev"]);
    assert_eq!(refresh.code, 4, "{refresh}");
    assert!(refresh.stderr.contains("invalid_grant"), "{refresh}");
    assert!(refresh.stderr.contains("tokdeck login dev"), "{refresh}");
    // A failed refresh keeps what was stored.
    assert!(home.path().join("tokens/dev.json").exists());
}

#[test]
fn list_json_reports_each_account() {
    let provider = Provider::start(&["--access-ttl", "3600"]);
    let home = logged_in(&provider, "dev");
    let rows: Value = serde_json::from_str(&home.ok(&["list", "--json"]).stdout).expect("json");
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len(), 4);
    let dev = rows.iter().find(|r| r["account"] == "dev").expect("dev");
    assert_eq!(dev["provider"], "public");
    assert_eq!(dev["state"], "valid");
    assert_eq!(dev["refresh_token"], true);
    let left = dev["seconds_left"].as_i64().expect("seconds_left");
    assert!((3500..=3600).contains(&left), "{left}");
    assert!(
        dev["expires_at"].as_str().is_some_and(|s| s.ends_with('Z')),
        "{dev}"
    );
    let web = rows.iter().find(|r| r["account"] == "web").expect("web");
    assert_eq!(web["state"], "no_token");
    let text = home.ok(&["list"]).stdout;
    assert!(text.starts_with("ACCOUNT"), "{text}");
    assert!(
        text.lines().next().is_some_and(|l| l.contains("  FLOW  ")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("dev ") && l.contains(" device ") && l.contains("valid")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("svc ") && l.contains(" client_credentials ")),
        "{text}"
    );
}

#[cfg(unix)]
#[test]
fn file_store_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let provider = Provider::start(&[]);
    let home = Home::new(&provider.config());
    home.ok(&["token", "svc"]);
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&home.path().join("tokens/svc.json")), 0o600);
    assert_eq!(mode(&home.path().join("tokens")), 0o700);
}

#[test]
fn discovery_is_cached_so_refresh_needs_only_the_token_endpoint() {
    let provider = Provider::start(&[]);
    let home = logged_in(&provider, "dev");
    home.ok(&["refresh", "dev"]);
    let log = provider.log();
    let discoveries = log
        .lines()
        .filter(|l| l.contains("/.well-known/openid-configuration"))
        .count();
    assert_eq!(discoveries, 1, "{log}");
}

/// Runs `login web --paste`, hands the URL it prints to `answer`, pastes what that returns.
fn paste_login(
    home: &Home,
    provider: &Provider,
    answer: impl FnOnce(&str) -> String,
) -> common::Run {
    use std::io::{BufRead, BufReader, Write};
    let mut child = home
        .command(&["login", "web", "--paste"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn login");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    let url = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).expect("read") > 0,
            "no URL printed:\n{seen}"
        );
        seen.push_str(&line);
        if line
            .trim()
            .starts_with(&format!("{}/auth?", provider.issuer))
        {
            break line.trim().to_string();
        }
    };
    let pasted = answer(&url);
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{pasted}").expect("paste");
    drop(stdin);
    let output = child.wait_with_output().expect("wait");
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
    common::Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: seen + &rest,
    }
}

fn approve_in_headless_browser(url: &str) -> String {
    let out = std::process::Command::new("node")
        .arg(common::repo().join("tests/provider/user.js"))
        .args(["--stop-at-redirect", url])
        .output()
        .expect("user.js");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn paste_flow_completes_with_the_url_from_another_machine() {
    let provider = Provider::start(&[]);
    let home = Home::new(&provider.config());
    let run = paste_login(&home, &provider, approve_in_headless_browser);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stderr.contains("Paste that page's full address"),
        "{run}"
    );
    assert!(!stored(&home, "web", "refresh_token").is_empty());
    // A pasted URL from another login (wrong state) is refused; nothing is stored.
    let home = Home::new(&provider.config());
    let run = paste_login(&home, &provider, |url| {
        approve_in_headless_browser(url).replace("state=", "state=forged")
    });
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("not this login's redirect"), "{run}");
    assert!(!home.path().join("tokens/web.json").exists());
}

#[test]
fn an_expired_id_token_is_refreshed_before_it_is_printed() {
    let provider = Provider::start(&["--access-ttl", "600", "--id-ttl", "3"]);
    let home = logged_in(&provider, "dev");
    let first = stored(&home, "dev", "id_token");
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let printed = home
        .ok(&["token", "dev", "--id-token", "--min-valid", "1"])
        .stdout;
    assert_ne!(printed.trim(), first, "a fresh ID token");
    let exp = decode(&home, &printed)["claims"]["exp"]
        .as_i64()
        .expect("exp");
    assert!(exp > chrono::Utc::now().timestamp(), "not expired");
}

#[test]
fn a_debug_log_records_logins_refreshes_and_requests_but_no_secret() {
    let provider = Provider::start(&["--access-ttl", "10"]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    home.ok(&["--log-level", "debug", "login", "dev"]);
    // Under 9 s left of 10: due for a refresh.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let forced = home.ok(&["token", "dev", "--min-valid", "9", "--log-level", "debug"]);
    home.set("TOKDECK_LOG", "info");
    home.ok(&["token", "svc"]);
    let log_file = home.path().join("tokdeck.log");
    let log = std::fs::read_to_string(&log_file).expect("the log file exists");
    assert!(log.contains("login to 'dev' with the device flow"), "{log}");
    assert!(log.contains("logged in to 'dev' (expires in "), "{log}");
    assert!(log.contains("refreshed 'dev' (expires in "), "{log}");
    assert!(
        log.contains(&format!("POST {}/token -> 200 in ", provider.issuer)),
        "{log}"
    );
    assert!(
        log.contains("/.well-known/openid-configuration -> 200"),
        "{log}"
    );
    // TOKDECK_LOG=info: the client credentials grant is logged, its request is not.
    let svc: Vec<&str> = log.lines().filter(|l| l.contains("'svc'")).collect();
    assert!(!svc.is_empty(), "{log}");
    let secrets = [
        stored(&home, "dev", "access_token"),
        stored(&home, "dev", "refresh_token"),
        stored(&home, "dev", "id_token"),
        stored(&home, "svc", "access_token"),
        forced.stdout.trim().to_string(),
        common::provider::CONFIDENTIAL_SECRET.to_string(),
        common::provider::SERVICE_SECRET.to_string(),
    ];
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        assert!(
            !log.contains(secret.as_str()),
            "the log holds a secret:\n{log}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Nothing of it reached the terminal.
    assert!(forced.stderr.is_empty(), "{forced}");

    home.set("TOKDECK_LOG", "chatty");
    let bad = home.run(&["token", "dev"]);
    assert_eq!(bad.code, 2, "{bad}");
    assert!(
        bad.stderr
            .contains("TOKDECK_LOG: log level 'chatty' is not a level; use one of"),
        "{bad}"
    );
}

#[test]
fn login_options_that_do_not_fit_the_flow_are_refused_with_the_reason() {
    let home = Home::new(
        "[providers.p]\nissuer = \"http://127.0.0.1:9\"\nclient_id = \"c\"\nflow = \"device\"\n[accounts.dev]\nprovider = \"p\"\n",
    );
    let run = home.run(&["login", "dev", "--paste"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains(
            "--paste goes with the browser flow, and 'dev' would log in with the device flow"
        ),
        "{run}"
    );
}
