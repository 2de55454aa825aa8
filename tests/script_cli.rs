//! The command line as scripts use it, through the real binary and a real provider:
//! partial configs, states, output formats, account management, completions.

mod common;

use common::Home;
use common::provider::Provider;
use serde_json::Value;

fn states(home: &Home) -> Vec<Value> {
    let list = home.ok(&["list", "--json"]);
    serde_json::from_str::<Value>(&list.stdout)
        .expect("json")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn row<'a>(rows: &'a [Value], account: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["account"] == account)
        .unwrap_or_else(|| panic!("no row for {account}: {rows:?}"))
}

#[test]
fn one_broken_account_does_not_break_the_others() {
    let provider = Provider::start(&[]);
    let config = format!(
        "{}\n[accounts.robot]\nprovider = \"public\"\nflow = \"client_credentials\"\n\n[accounts.typo]\nprovider = \"service\"\nscope = [\"x\"]\n",
        provider.config()
    );
    let home = Home::new(&config);

    // A good account works, and the broken ones are named once each on stderr.
    let run = home.ok(&["token", "svc"]);
    assert!(!run.stdout.trim().is_empty());
    assert!(
        run.stderr.contains("account 'robot' is skipped")
            && run
                .stderr
                .contains("needs `client_secret` in [providers.public]"),
        "{run}"
    );
    assert!(
        run.stderr.contains("account 'typo' is skipped")
            && run.stderr.contains("unknown field `scope`"),
        "{run}"
    );

    // list shows every account, the broken ones as config_error with their line.
    let rows = states(&home);
    assert_eq!(row(&rows, "svc")["state"], "valid");
    assert_eq!(row(&rows, "dev")["state"], "no_token");
    let robot = row(&rows, "robot");
    assert_eq!(robot["state"], "config_error", "{robot}");
    let reason = robot["error"].as_str().unwrap_or_default();
    assert!(
        reason.contains("line ") && reason.contains("client_credentials"),
        "{reason}"
    );
    let text = home.ok(&["list"]);
    assert!(text.stdout.contains("config error"), "{text}");

    // A command naming a broken account fails with its reason, exit 2.
    let run = home.run(&["token", "typo"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("unknown field `scope`"), "{run}");
    assert!(run.stdout.is_empty());

    // A file that is not TOML stays an error for everything.
    let home = Home::new("[accounts.x\n");
    let run = home.run(&["list"]);
    assert_eq!(run.code, 2, "{run}");
}

#[test]
fn list_tells_a_refreshable_token_from_a_dead_one() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    home.ok(&["login", "dev"]);
    home.ok(&["login", "web-public"]);
    // Both expired; dev's refresh token is one the provider never issued, web-public
    // has none.
    for (account, refresh) in [
        ("dev", "not-a-refresh-token".into()),
        ("web-public", Value::Null),
    ] {
        let mut record = home.record(account);
        record["tokens"]["expires_at"] = "2026-01-01T00:00:00Z".into();
        record["tokens"]["refresh_token"] = refresh;
        home.write_record(account, &record);
    }
    let rows = states(&home);
    assert_eq!(
        row(&rows, "dev")["state"],
        "expired",
        "a refresh token: refreshable"
    );
    assert_eq!(
        row(&rows, "web-public")["state"],
        "login_needed",
        "nothing can renew it"
    );

    let run = home.run(&["token", "dev"]);
    assert_eq!(run.code, 4, "the provider rejects the refresh token: {run}");
    let rows = states(&home);
    let dev = row(&rows, "dev");
    assert_eq!(dev["state"], "login_needed", "{dev}");
    assert!(
        dev["login_needed"].as_str().is_some_and(|r| !r.is_empty()),
        "{dev}"
    );
    assert_eq!(row(&rows, "svc")["state"], "no_token");
}

#[test]
fn min_valid_beyond_the_providers_lifetime_costs_one_refresh_for_many_callers() {
    let provider = Provider::start(&["--access-ttl", "30"]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    home.ok(&["login", "dev"]);
    // A 30 s token with 10 s left.
    let mut record = home.record("dev");
    let now = chrono::Utc::now();
    let at = |secs: i64| (now + chrono::Duration::seconds(secs)).to_rfc3339();
    record["tokens"]["issued_at"] = at(-20).into();
    record["tokens"]["expires_at"] = at(10).into();
    home.write_record("dev", &record);
    let before = provider.log_count("POST /token -> 200");

    let callers: Vec<_> = (0..8)
        .map(|_| {
            let mut command = home.command(&["token", "dev", "--min-valid", "300"]);
            std::thread::spawn(move || common::Run::from(command.output().expect("run")))
        })
        .collect();
    let runs: Vec<common::Run> = callers
        .into_iter()
        .map(|c| c.join().expect("join"))
        .collect();
    let tokens: std::collections::BTreeSet<&str> = runs.iter().map(|r| r.stdout.trim()).collect();
    for run in &runs {
        assert_eq!(run.code, 0, "{run}");
        assert_eq!(
            run.stderr.matches("less than --min-valid 300").count(),
            1,
            "one warning each: {run}"
        );
        assert!(
            run.stderr.contains("valid for 30s"),
            "names the provider's lifetime: {run}"
        );
    }
    assert_eq!(tokens.len(), 1, "all got the one new token: {tokens:?}");
    assert_eq!(
        provider.log_count("POST /token -> 200") - before,
        1,
        "one refresh for eight callers:\n{}",
        provider.log()
    );

    // --strict: the same shortfall is exit 4, and nothing on stdout.
    let run = home.run(&["token", "dev", "--min-valid", "300", "--strict"]);
    assert_eq!(run.code, 4, "{run}");
    assert!(
        run.stdout.is_empty() && run.stderr.contains("--strict"),
        "{run}"
    );
    // Asked for what the provider gives: no word.
    let run = home.ok(&["token", "dev", "--min-valid", "5"]);
    assert!(run.stderr.is_empty(), "{run}");
}

#[test]
fn token_json_says_what_a_script_needs() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    home.ok(&["login", "dev"]);
    let run = home.ok(&["token", "dev", "--json"]);
    let value: Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    assert_eq!(value["account"], "dev");
    assert_eq!(value["token_type"], "Bearer");
    assert_eq!(
        value["access_token"],
        home.record("dev")["tokens"]["access_token"]
    );
    assert!(
        value["seconds_left"].as_i64().is_some_and(|s| s > 60),
        "{value}"
    );
    assert!(
        value["expires_at"]
            .as_str()
            .is_some_and(|s| s.ends_with('Z')),
        "{value}"
    );
    assert!(
        value["scopes"].as_array().is_some_and(|s| !s.is_empty()),
        "{value}"
    );
    assert!(value["identity"]["sub"].is_string(), "{value}");
    // The ID token too, when asked for.
    let run = home.ok(&["token", "dev", "--id-token", "--format", "json"]);
    let value: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(value["id_token"], home.record("dev")["tokens"]["id_token"]);
}

#[test]
fn id_token_shorter_than_min_valid_is_served_with_the_truth() {
    let provider = Provider::start(&["--id-ttl", "20"]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    home.ok(&["login", "dev"]);
    let run = home.ok(&["token", "dev", "--id-token", "--min-valid", "60"]);
    assert_eq!(
        run.stdout.trim(),
        home.record("dev")["tokens"]["id_token"],
        "{run}"
    );
    assert!(
        run.stderr
            .contains("issues ID tokens valid for 20s, less than --min-valid 60"),
        "{run}"
    );
    assert!(
        !run.stderr.contains("login"),
        "a login would not help: {run}"
    );
    let run = home.run(&[
        "token",
        "dev",
        "--id-token",
        "--min-valid",
        "60",
        "--strict",
    ]);
    assert_eq!(run.code, 4, "{run}");
}
