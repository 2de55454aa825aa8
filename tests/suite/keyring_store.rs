//! The keyring store against a real Secret Service: gnome-keyring-daemon in a private
//! D-Bus session (dbus-run-session), read back with `secret-tool`.

use crate::common;

use common::Home;
use common::provider::Provider;
use std::collections::HashMap;
use std::process::Command;

/// `sh -c script` inside a private D-Bus session, with the home's environment.
fn session(home: &Home, script: &str) -> std::process::Output {
    let mut cmd = Command::new("dbus-run-session");
    cmd.args(["--", "sh", "-c", script])
        .env("HOME", home.path())
        .env("XDG_RUNTIME_DIR", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("TOKDECK_HOME", home.path())
        .env("TOKDECK", env!("CARGO_BIN_EXE_tokdeck"))
        .env_remove("BROWSER");
    for (k, v) in &home.env {
        cmd.env(k, v);
    }
    cmd.output()
        .expect("run dbus-run-session (install dbus and gnome-keyring)")
}

/// Runs `script` inside a private D-Bus session with an unlocked gnome-keyring, and
/// returns the output of each `== NAME` section.
fn in_keyring_session(home: &Home, script: &str) -> HashMap<String, String> {
    let full = format!(
        "eval \"$(printf tokdeck-test | gnome-keyring-daemon --unlock --components=secrets)\" >/dev/null\n{script}"
    );
    let output = session(home, &full);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let mut sections = HashMap::new();
    let mut current = String::from("(start)");
    for line in stdout.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            current = name.to_string();
            sections.insert(current.clone(), String::new());
        } else {
            sections
                .entry(current.clone())
                .or_default()
                .push_str(&format!("{line}\n"));
        }
    }
    sections.insert("stderr".into(), stderr);
    sections
}

#[test]
fn tokens_live_in_the_secret_service_not_in_files() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.set("TOKDECK_STORE", "keyring");
    home.with_headless_user();
    let out = in_keyring_session(
        &home,
        r#"
echo "== login"; "$TOKDECK" login dev 2>&1; echo "exit $?"
echo "== token"; "$TOKDECK" token dev
echo "== lookup"; secret-tool lookup service "tokdeck:$TOKDECK_HOME" username dev; echo
echo "== refresh"; "$TOKDECK" refresh dev 2>&1; echo "exit $?"
echo "== lookup2"; secret-tool lookup service "tokdeck:$TOKDECK_HOME" username dev; echo
echo "== svc"; "$TOKDECK" token svc
echo "== files"; ls -A "$TOKDECK_HOME"
echo "== logout"; "$TOKDECK" logout dev 2>&1; echo "exit $?"
echo "== after"; secret-tool lookup service "tokdeck:$TOKDECK_HOME" username dev || echo "(gone)"
"#,
    );
    let show = format!("{out:#?}\nbrowser log:\n{}", home.browser_log());
    assert!(out["login"].contains("exit 0"), "{show}");
    let token = out["token"].trim().to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT access token: {show}");

    let record: serde_json::Value =
        serde_json::from_str(out["lookup"].trim()).expect("the keyring entry is a JSON record");
    assert_eq!(record["tokens"]["access_token"], token.as_str());
    // The identity and the binding travel in the same entry.
    assert_eq!(record["identity"]["sub"], "alice", "{show}");
    assert_eq!(
        record["binding"]["issuer"],
        provider.issuer.as_str(),
        "{show}"
    );
    let first_refresh = record["tokens"]["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!first_refresh.is_empty(), "{show}");

    assert!(out["refresh"].contains("exit 0"), "{show}");
    let after: serde_json::Value = serde_json::from_str(out["lookup2"].trim()).expect("json");
    let rotated = after["tokens"]["refresh_token"]
        .as_str()
        .unwrap_or_default();
    assert!(
        !rotated.is_empty() && rotated != first_refresh,
        "the rotated refresh token is in the keyring: {show}"
    );

    assert_eq!(out["svc"].trim().split('.').count(), 3, "{show}");
    assert!(
        !out["files"].contains("tokens"),
        "no token files with the keyring store: {show}"
    );
    assert!(out["logout"].contains("exit 0"), "{show}");
    assert!(out["after"].contains("(gone)"), "{show}");
}

#[test]
fn two_homes_keep_their_own_entries_and_old_entries_are_migrated_once() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.set("TOKDECK_STORE", "keyring");
    home.with_headless_user();
    let other = tempfile::tempdir().expect("second home");
    std::fs::write(other.path().join("config.toml"), provider.config()).expect("config");
    // An entry as tokdeck 0.1 wrote it: service `tokdeck`, user the account name.
    let legacy = r#"{"version":1,"tokens":{"access_token":"legacy-at","token_type":"Bearer","refresh_token":null,"id_token":null,"scopes":[],"issued_at":"2026-01-01T00:00:00Z","expires_at":null},"last_refresh":null}"#;
    let out = in_keyring_session(
        &home,
        &format!(
            r#"
printf '%s' '{legacy}' | secret-tool store --label=old service tokdeck username web
echo "== migrated"; "$TOKDECK" token web 2>&1; echo "exit $?"
echo "== old"; secret-tool lookup service tokdeck username web && echo || echo "(gone)"
echo "== new"; secret-tool lookup service "tokdeck:$TOKDECK_HOME" username web; echo
echo "== login"; "$TOKDECK" login dev 2>&1; echo "exit $?"
echo "== other"; TOKDECK_HOME='{other}' "$TOKDECK" token dev 2>&1; echo "exit $?"
echo "== other-list"; TOKDECK_HOME='{other}' "$TOKDECK" list --json
echo "== mine"; "$TOKDECK" token dev
"#,
            other = other.path().display()
        ),
    );
    let show = format!("{out:#?}\nbrowser log:\n{}", home.browser_log());
    assert_eq!(out["migrated"].trim(), "legacy-at\nexit 0", "{show}");
    assert!(out["old"].contains("(gone)"), "moved, not copied: {show}");
    assert!(out["new"].contains("legacy-at"), "{show}");
    assert!(out["login"].contains("exit 0"), "{show}");
    // The second home has an account 'dev' too, and none of the first home's tokens.
    assert!(out["other"].contains("exit 4"), "{show}");
    assert!(out["other"].contains("has no token yet"), "{show}");
    let rows: serde_json::Value = serde_json::from_str(&out["other-list"]).expect("json");
    assert!(
        rows.as_array()
            .is_some_and(|r| r.iter().all(|row| row["state"] == "no_token")),
        "{show}"
    );
    assert_eq!(out["mine"].trim().split('.').count(), 3, "{show}");
}

#[test]
fn the_kernel_keeps_only_the_access_token_and_follows_every_change() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.set("TOKDECK_STORE", "keyring");
    home.with_headless_user();
    let out = in_keyring_session(
        &home,
        r#"
key() { keyctl search @u user "tokdeck:$TOKDECK_HOME:dev" 2>/dev/null; }
echo "== login"; "$TOKDECK" login dev 2>&1; echo "exit $?"
echo "== entry"; secret-tool lookup service "tokdeck:$TOKDECK_HOME" username dev; echo
echo "== cached"; keyctl pipe "$(key)"; echo
echo "== perm"; keyctl rdescribe "$(key)"; echo
echo "== no-bus"; DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent "$TOKDECK" token dev 2>&1; echo "exit $?"
echo "== refresh"; "$TOKDECK" refresh dev 2>&1; echo "exit $?"
echo "== entry2"; secret-tool lookup service "tokdeck:$TOKDECK_HOME" username dev; echo
echo "== no-bus2"; DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent "$TOKDECK" token dev 2>&1; echo "exit $?"
echo "== replace"; TOKDECK_TEST_LOGIN=carol "$TOKDECK" login dev --replace-user 2>&1; echo "exit $?"
echo "== no-bus3"; DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent "$TOKDECK" token dev 2>&1; echo "exit $?"
echo "== logout"; "$TOKDECK" logout dev 2>&1; echo "exit $?"
echo "== gone"; key || echo "(no key)"
echo "== no-bus4"; DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent "$TOKDECK" token dev 2>&1; echo "exit $?"
"#,
    );
    let show = format!("{out:#?}\nbrowser log:\n{}", home.browser_log());
    assert!(out["login"].contains("exit 0"), "{show}");
    let entry: serde_json::Value = serde_json::from_str(out["entry"].trim()).expect("entry");
    let cached: serde_json::Value = serde_json::from_str(out["cached"].trim()).expect("cached");
    assert_eq!(
        cached["tokens"]["access_token"], entry["tokens"]["access_token"],
        "{show}"
    );
    assert!(
        !entry["tokens"]["refresh_token"].is_null(),
        "the store of record has the refresh token: {show}"
    );
    assert!(
        cached["tokens"]["refresh_token"].is_null(),
        "never in the kernel: {show}"
    );
    assert!(cached["tokens"]["id_token"].is_null(), "{show}");
    // type;uid;gid;perm;description: possessor all, nobody else anything.
    assert!(out["perm"].starts_with("user;"), "{show}");
    assert!(out["perm"].contains(";3f000000;"), "possessor only: {show}");
    // Without the Secret Service the cached token is still served: it comes from the kernel.
    let first = entry["tokens"]["access_token"].as_str().unwrap_or_default();
    assert_eq!(out["no-bus"].trim(), format!("{first}\nexit 0"), "{show}");
    // A refresh replaces the copy.
    assert!(out["refresh"].contains("exit 0"), "{show}");
    let entry2: serde_json::Value = serde_json::from_str(out["entry2"].trim()).expect("entry2");
    let second = entry2["tokens"]["access_token"]
        .as_str()
        .unwrap_or_default();
    assert_ne!(first, second);
    assert_eq!(out["no-bus2"].trim(), format!("{second}\nexit 0"), "{show}");
    // Another person's login replaces it too.
    assert!(out["replace"].contains("exit 0"), "{show}");
    let third = out["no-bus3"]
        .trim()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(out["no-bus3"].contains("exit 0"), "{show}");
    assert_ne!(third, second, "{show}");
    // A logout clears it: nothing is served from the kernel any more.
    assert!(out["logout"].contains("exit 0"), "{show}");
    assert!(out["gone"].contains("(no key)"), "{show}");
    assert!(!out["no-bus4"].contains(&third), "{show}");
    assert!(
        out["no-bus4"].contains("exit 1"),
        "the keyring is asked, and is gone: {show}"
    );
}

#[test]
fn an_unavailable_keyring_is_an_error_never_a_silent_file_fallback() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.set("TOKDECK_STORE", "keyring");
    home.set(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/tokdeck-test-bus",
    );
    let run = home.run(&["token", "svc"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("OS keyring is not available"), "{run}");
    assert!(
        run.stderr.contains("TOKDECK_STORE=file"),
        "tells how to choose the file store: {run}"
    );
    assert!(
        !home.path().join("tokens").exists(),
        "no plain-text fallback"
    );
}

/// Runs `script` in a private D-Bus session where gnome-keyring runs but is never unlocked.
fn in_locked_session(home: &Home, script: &str) -> String {
    let full = format!(
        "gnome-keyring-daemon --components=secrets --foreground >/dev/null 2>&1 &\nKEYRING=$!\nsleep 1\n{script}"
    );
    let output = session(home, &full);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_locked_keyring_says_unlock_it() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.set("TOKDECK_STORE", "keyring");
    let out = in_locked_session(&home, r#""$TOKDECK" token svc 2>&1; echo "exit $?""#);
    assert!(out.contains("exit 1"), "{out}");
    assert!(
        out.contains("refused access") && out.contains("unlock it"),
        "{out}"
    );
}

#[test]
fn a_keyring_that_never_answers_is_bounded_by_the_timeout() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.set("TOKDECK_STORE", "keyring");
    // Freeze the daemon: the bus still routes calls to it, nobody answers.
    let out = in_locked_session(
        &home,
        r#"kill -STOP $KEYRING
start=$(date +%s)
"$TOKDECK" token svc 2>&1; echo "exit $?"
echo "took $(( $(date +%s) - start ))"
kill -CONT $KEYRING"#,
    );
    assert!(out.contains("exit 1"), "{out}");
    assert!(out.contains("did not answer within 10 s"), "{out}");
    let took: u64 = out
        .lines()
        .find_map(|l| l.strip_prefix("took "))
        .and_then(|s| s.trim().parse().ok())
        .expect("duration");
    assert!(took < 30, "bounded: {took} s");
}

#[test]
fn a_client_key_kept_in_the_keyring_signs_the_assertions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, jwks) = common::provider::ec_key(dir.path(), "test-key-1");
    let provider = Provider::start(&["--client-jwks", jwks.to_str().expect("utf-8")]);
    let config = format!(
        "[providers.keyed]\nissuer = \"{}\"\nclient_id = \"tokdeck-key\"\nclient_auth = \"private_key_jwt\"\nclient_key = \"keyring\"\nclient_key_id = \"test-key-1\"\nscopes = [\"api:read\"]\nflow = \"client_credentials\"\n\n[accounts.keyed]\nprovider = \"keyed\"\n",
        provider.issuer
    );
    let mut home = Home::new(&config);
    home.set("TOKDECK_STORE", "keyring");
    home.set("KEYFILE", &key.display().to_string());
    let out = in_keyring_session(
        &home,
        r#"
echo "== before"; "$TOKDECK" token keyed 2>&1; echo "exit $?"
echo "== import"; "$TOKDECK" client-key import keyed "$KEYFILE"; echo "exit $?"
echo "== typo"; "$TOKDECK" client-key import keyd "$KEYFILE" 2>&1; echo "exit $?"
echo "== token"; "$TOKDECK" token keyed; echo "exit $?"
echo "== show"; "$TOKDECK" client-key show keyed
echo "== delete"; "$TOKDECK" client-key delete keyed 2>&1; "$TOKDECK" logout keyed --local >/dev/null 2>&1
echo "== again"; "$TOKDECK" client-key delete keyed 2>&1; echo "exit $?"
echo "== gone"; "$TOKDECK" token keyed 2>&1; echo "exit $?"
"#,
    );
    let show = format!("{out:#?}");
    assert!(out["before"].contains("client-key import keyed"), "{show}");
    assert!(out["import"].contains("exit 0"), "{show}");
    // The printed JWKS is the key's public half, as openssl made it, with the kid tokdeck
    // signs with (the provider's client_key_id).
    let printed: serde_json::Value =
        serde_json::from_str(out["import"].lines().next().unwrap_or_default()).expect("JWKS");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&jwks).expect("jwks")).expect("JSON");
    for member in ["kty", "crv", "x", "y", "kid"] {
        assert_eq!(
            printed["keys"][0][member], expected["keys"][0][member],
            "{show}"
        );
    }
    assert!(
        printed["keys"][0].get("d").is_none(),
        "no private part: {show}"
    );
    assert!(out["typo"].contains("provider 'keyd' is not in"), "{show}");
    assert!(out["token"].contains("exit 0"), "{show}");
    assert_eq!(
        out["token"]
            .lines()
            .next()
            .unwrap_or_default()
            .split('.')
            .count(),
        3,
        "{show}"
    );
    assert_eq!(out["show"], out["import"].replace("exit 0\n", ""), "{show}");
    assert!(
        out["gone"].contains("exit 1") && out["gone"].contains("client-key import keyed"),
        "a deleted key says how to store one again: {show}"
    );
    assert!(
        out["again"].contains("nothing deleted") && out["again"].contains("exit 1"),
        "{show}"
    );
}

#[test]
fn a_client_registration_is_kept_in_the_keyring_not_in_files() {
    let provider = Provider::start(&["--registration"]);
    let api = common::provider::Resource::start_with(&provider.issuer, &["--metadata"]);
    let mut home = Home::new("");
    home.set("TOKDECK_STORE", "keyring");
    home.set("API", &format!("{}/mcp", api.url));
    let out = in_keyring_session(
        &home,
        r#"
echo "== add"; "$TOKDECK" add mcp --url "$API" 2>&1; echo "exit $?"
echo "== entry"; secret-tool search --all service "tokdeck-registration:$TOKDECK_HOME" 2>&1
echo "== remove"; "$TOKDECK" remove mcp 2>&1; echo "exit $?"
echo "== after"; secret-tool search --all service "tokdeck-registration:$TOKDECK_HOME" 2>&1; echo "done"
"#,
    );
    let show = format!("{out:#?}");
    assert!(out["add"].contains("exit 0"), "{show}");
    // The entry holds what registration returned, bound to the issuer; no file has it.
    assert!(
        out["entry"].contains(&format!("\"issuer\": \"{}\"", provider.issuer))
            && out["entry"].contains("registration_access_token"),
        "{show}"
    );
    assert!(!home.path().join("registrations").exists(), "{show}");
    assert!(
        out["remove"].contains("exit 0") && out["remove"].contains("was deleted"),
        "{show}"
    );
    assert!(
        !out["after"].contains("registration_access_token"),
        "{show}"
    );
    assert_eq!(
        provider.log_count_reaching("DELETE /reg/", 1),
        1,
        "{}",
        provider.log()
    );
}
