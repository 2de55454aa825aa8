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
