//! The command line as scripts use it, through the real binary and a real provider:
//! partial configs, states, output formats, account management, completions.

use crate::common;

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

    // A good account works, and the broken ones are named, once, on stderr.
    let run = home.ok(&["token", "svc"]);
    assert!(!run.stdout.trim().is_empty());
    assert_eq!(run.stderr.lines().count(), 1, "{run}");
    assert!(
        run.stderr.contains("2 broken parts")
            && run.stderr.contains("account 'robot'")
            && run.stderr.contains("account 'typo'")
            && run.stderr.contains("tokdeck list"),
        "{run}"
    );
    // One broken part is said whole.
    let single = config.replace("scope = [\"x\"]", "scopes = [\"x\"]");
    let one = Home::new(&single);
    let run = one.ok(&["token", "svc"]);
    assert!(
        run.stderr.contains("account 'robot' is skipped")
            && run
                .stderr
                .contains("needs `client_secret` in [providers.public]"),
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
    assert!(text.stdout.contains("config_error"), "{text}");

    // A command naming a broken account fails with its reason, exit 2.
    let run = home.run(&["token", "typo"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("unknown field `scope`"), "{run}");
    assert!(run.stdout.is_empty());

    // A default_account that names no account is one more broken part, not a dead file.
    let home = Home::new(&format!(
        "default_account = \"ghost\"\n{}",
        provider.config()
    ));
    let run = home.ok(&["token", "svc"]);
    assert!(
        run.stderr
            .contains("default_account 'ghost' is not an account"),
        "{run}"
    );
    let run = home.run(&["token"]);
    assert_eq!(run.code, 2, "nothing chooses an account: {run}");
    home.ok(&["list"]);

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
    let run = home.ok(&["token", "dev", "--id-token", "--min-valid", "120"]);
    assert_eq!(
        run.stdout.trim(),
        home.record("dev")["tokens"]["id_token"],
        "{run}"
    );
    assert!(
        run.stderr
            .contains("issues ID tokens valid for 20s, less than --min-valid 120"),
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
        "120",
        "--strict",
    ]);
    assert_eq!(run.code, 4, "{run}");
}

/// A loopback HTTP server that answers 200 to requests carrying `Authorization: Bearer
/// <token>` and 401 to others; returns its URL and the Authorization headers it saw.
fn checking_server(token: String) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/api", listener.local_addr().expect("addr"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut seen = String::new();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                if let Some(value) = line.strip_prefix("Authorization: ") {
                    seen = value.trim().to_string();
                }
                line.clear();
            }
            let ok = seen == format!("Bearer {token}");
            let _ = tx.send(seen);
            let status = if ok { "200 OK" } else { "401 Unauthorized" };
            let _ = write!(
                &stream,
                "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
        }
    });
    (url, rx)
}

/// Docker's `--env-file` rules (docs.docker.com, "Set environment variables"): one
/// `VAR=VAL` per line, `#` lines and blank lines skipped, the value taken literally.
fn docker_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, value) = l.split_once('=').expect("VAR=VAL");
            assert!(
                !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !name.starts_with(|c: char| c.is_ascii_digit()),
                "bad variable name {name:?}"
            );
            (name.to_string(), value.to_string())
        })
        .collect()
}

#[test]
fn export_formats_work_where_they_are_used() {
    let provider = Provider::start(&[]);
    let home = Home::new(&provider.config());
    let token = home.ok(&["token", "svc"]).stdout.trim().to_string();

    // eval in a shell reaches child processes.
    let run = home.shell(
        "sh",
        r#"eval "$(tokdeck export svc)" && sh -c 'printf %s "$ACCESS_TOKEN"'"#,
    );
    assert_eq!(run.stdout, token, "{run}");
    let run = home.shell(
        "bash",
        r#"eval "$(tokdeck export svc --shell bash)"; env | grep -c '^TOKEN_TYPE=Bearer$'"#,
    );
    assert_eq!(run.stdout.trim(), "1", "{run}");
    let run = home.shell(
        "fish",
        "tokdeck export svc --shell fish | source; sh -c 'printf %s \"$ACCESS_TOKEN\"'",
    );
    assert_eq!(run.stdout, token, "{run}");

    // dotenv: what docker --env-file reads.
    let dotenv = home.ok(&["export", "svc", "--format", "dotenv"]).stdout;
    let vars = docker_env_file(&dotenv);
    assert!(
        vars.contains(&("ACCESS_TOKEN".to_string(), token.clone())),
        "{dotenv}"
    );
    assert!(
        vars.contains(&("TOKEN_TYPE".to_string(), "Bearer".to_string())),
        "{dotenv}"
    );

    // curl -K: the header arrives, and the token is not on curl's command line.
    let (url, seen) = checking_server(token.clone());
    let run = home.shell(
        "bash",
        &format!("curl -sS -f -K <(tokdeck export svc --format curl) {url}"),
    );
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout, "ok");
    assert_eq!(seen.recv().expect("a request"), format!("Bearer {token}"));
}

/// A free loopback port (bound and released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// `openssl s_server` on `port` with a throwaway self-signed certificate.
fn tls_server(dir: &std::path::Path, port: u16) -> std::process::Child {
    let (key, cert) = (dir.join("k.pem"), dir.join("c.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-subj", "/CN=127.0.0.1", "-days", "1"])
        .output()
        .expect("openssl req");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let child = std::process::Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-www",
            "-accept",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl s_server");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "s_server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child
}

fn device_account(issuer: &str) -> String {
    format!(
        "[providers.p]\nissuer = \"{issuer}\"\nclient_id = \"c\"\n\n[accounts.a]\nprovider = \"p\"\nflow = \"device\"\n"
    )
}

#[test]
fn errors_say_what_to_do() {
    // https:// against a plain-HTTP server (the test provider).
    let provider = Provider::start(&[]);
    let issuer = provider.issuer.replace("http://", "https://");
    let home = Home::new(&device_account(&issuer));
    let run = home.run(&["login", "a", "--no-browser"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr
            .contains("seems to speak plain HTTP here, not TLS"),
        "{run}"
    );

    // http:// against a TLS server.
    let port = free_port();
    let mut tls = tls_server(home.path(), port);
    let home = Home::new(&device_account(&format!("http://127.0.0.1:{port}")));
    let run = home.run(&["login", "a", "--no-browser"]);
    let _ = tls.kill();
    let _ = tls.wait();
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr
            .contains("may expect TLS here: write the URL with https://"),
        "{run}"
    );

    // A provider that refuses a JWT at userinfo: the claims are readable without it.
    let home = Home::new(&provider.config());
    home.ok(&["token", "svc"]);
    let run = home.run(&["userinfo", "svc"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("tokdeck decode --account svc"), "{run}");

    // No config: how to make one.
    let home = Home::new("");
    std::fs::remove_file(home.path().join("config.toml")).expect("rm");
    let run = home.run(&["list"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("Run `tokdeck` and press A"), "{run}");
}

#[test]
fn add_and_remove_accounts_without_an_editor() {
    let provider = Provider::start(&[]);
    let original = format!("# my accounts\n{}", provider.config());
    let home = Home::new(&original);
    let config = home.path().join("config.toml");

    // A dry run prints the change and writes nothing.
    let run = home.ok(&["add", "robot", "--provider", "service", "--dry-run"]);
    assert!(
        run.stdout.contains("+ [accounts.robot]")
            && run.stdout.contains("+ provider = \"service\""),
        "{run}"
    );
    assert_eq!(std::fs::read_to_string(&config).expect("read"), original);

    // A new provider with its secret from stdin: never on the command line or screen.
    let mut add = home.command(&[
        "add",
        "robot2",
        "--provider",
        "svc2",
        "--issuer",
        &provider.issuer,
        "--client-id",
        common::provider::SERVICE_CLIENT,
        "--client-secret-stdin",
        "--flow",
        "client-credentials",
        "--scope",
        "api:read",
    ]);
    add.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = add.spawn().expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{}", common::provider::SERVICE_SECRET).expect("write");
    }
    let run = common::Run::from(child.wait_with_output().expect("wait"));
    assert_eq!(run.code, 0, "{run}");
    assert!(
        !run.stdout.contains(common::provider::SERVICE_SECRET),
        "the diff masks it: {run}"
    );
    let text = std::fs::read_to_string(&config).expect("read");
    assert!(text.starts_with("# my accounts\n"), "comments kept: {text}");
    assert!(text.contains(&format!(
        "client_secret = \"{}\"",
        common::provider::SERVICE_SECRET
    )));
    // It works: a token for the new service account.
    let token = home.ok(&["token", "robot2"]).stdout;
    assert!(!token.trim().is_empty());

    // Bad input is refused with the reason, and the file is left alone.
    let run = home.run(&["add", "x", "--provider", "nope"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("--preset") && run.stderr.contains("--issuer"),
        "{run}"
    );
    let run = home.run(&["add", "robot2", "--provider", "service"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("already exists"), "{run}");
    // Names that differ only in case would share a token file on macOS and Windows.
    let run = home.run(&["add", "Robot2", "--provider", "service"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("only in case"), "{run}");
    assert_eq!(std::fs::read_to_string(&config).expect("read"), text);

    // remove revokes the tokens, drops the table, keeps the provider and the comments.
    let run = home.ok(&["remove", "robot2"]);
    assert!(run.stdout.contains("- [accounts.robot2]"), "{run}");
    assert!(
        !home.path().join("tokens/robot2.json").exists(),
        "tokens deleted"
    );
    let after = std::fs::read_to_string(&config).expect("read");
    assert!(
        !after.contains("[accounts.robot2]") && after.contains("[providers.svc2]"),
        "{after}"
    );
    assert!(after.starts_with("# my accounts\n"));
    assert!(
        provider.log_count("/token/revocation") >= 1,
        "{}",
        provider.log()
    );
    let run = home.run(&["token", "robot2"]);
    assert_eq!(run.code, 2, "{run}");

    // --keep-tokens leaves them in the store; removing the default account removes the
    // default too.
    let text = std::fs::read_to_string(&config).expect("read");
    std::fs::write(&config, format!("default_account = \"svc\"\n{text}")).expect("write");
    home.ok(&["token", "svc"]);
    let run = home.ok(&["remove", "svc", "--keep-tokens"]);
    assert!(run.stdout.contains("- default_account = \"svc\""), "{run}");
    assert!(home.path().join("tokens/svc.json").exists());
}

/// What bash completes after `words` (the last one being completed), with tokdeck's
/// completions loaded as a user loads them.
fn bash_completes(home: &Home, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source <(tokdeck completions bash) && complete -p tokdeck >/dev/null && COMP_WORDS=({}) && COMP_CWORD={} && _clap_complete_tokdeck tokdeck '{}' '{}' && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let run = home.shell("bash", &script);
    assert_eq!(run.code, 0, "{run}");
    run.stdout.lines().map(|l| l.trim().to_string()).collect()
}

#[test]
fn completions_know_the_accounts_and_hide_internals() {
    let home = Home::new(
        "[providers.corp]\nissuer = \"https://idp.example\"\nclient_id = \"c\"\n\n[accounts.work]\nprovider = \"corp\"\n\n[accounts.wiki]\nprovider = \"corp\"\n\n[accounts.home]\nprovider = \"corp\"\n",
    );
    assert_eq!(
        bash_completes(&home, &["tokdeck", "token", "w"]),
        ["wiki", "work"]
    );
    assert_eq!(bash_completes(&home, &["tokdeck", "logout", "h"]), ["home"]);
    assert_eq!(
        bash_completes(&home, &["tokdeck", "decode", "--account", ""]),
        ["home", "wiki", "work"]
    );
    assert_eq!(
        bash_completes(&home, &["tokdeck", "add", "x", "--provider", ""]),
        ["corp"]
    );
    let commands = bash_completes(&home, &["tokdeck", ""]);
    for command in ["login", "token", "export", "add", "remove", "list"] {
        assert!(
            commands.iter().any(|c| c == command),
            "{command}: {commands:?}"
        );
    }
    assert!(
        !commands.iter().any(|c| c.starts_with("__")),
        "internal commands hidden: {commands:?}"
    );
    // The other shells get their own registration.
    for shell in ["zsh", "fish"] {
        let run = home.ok(&["completions", shell]);
        assert!(run.stdout.contains("TOKDECK_COMPLETE"), "{shell}: {run}");
    }
    let run = home.shell(
        "fish",
        "tokdeck completions fish | source; complete -C 'tokdeck token w'",
    );
    assert!(
        run.stdout.contains("wiki") && run.stdout.contains("work"),
        "{run}"
    );
}

#[test]
fn the_man_page_has_every_section_and_every_config_key() {
    let home = Home::new("");
    let man = home.ok(&["man"]).stdout;
    assert!(
        man.contains("\n.TH tokdeck 1"),
        "{}",
        &man[..man.len().min(200)]
    );
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "COMMANDS",
        "CONFIGURATION",
        "ENVIRONMENT",
        "FILES",
        "EXIT STATUS",
        "EXAMPLES",
    ] {
        assert!(
            man.contains(&format!(".SH {section}\n")),
            "no {section} section"
        );
    }
    for command in [
        "login", "token", "header", "export", "add", "remove", "list", "decode",
    ] {
        assert!(
            man.contains(&format!(".SS \"tokdeck {command}\"")),
            "no {command}"
        );
    }
    assert!(
        !man.contains("__refresh") && !man.contains("tokdeck\\-login(1)"),
        "no internal command, no page that does not exist"
    );
    // Every key config.toml takes, as tokdeck itself lists them when one is unknown.
    for table in ["", "[dashboard]\n", "[providers.p]\n", "[accounts.a]\n"] {
        let home = Home::new(&format!("{table}zzz = 1\n[accounts.b]\nprovider = \"p\"\n"));
        let err = home.run(&["list", "--json"]);
        let listed = if table.starts_with("[accounts") || table.starts_with("[providers") {
            let rows: Value = serde_json::from_str(&err.stdout).unwrap_or_default();
            rows.to_string() + &err.stderr
        } else {
            err.stderr
        };
        let keys: Vec<&str> = listed
            .split("expected ")
            .nth(1)
            .unwrap_or_else(|| panic!("no key list for {table:?}: {listed}"))
            .split(['`', ','])
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .filter(|k| *k != "one" && *k != "of")
            .take_while(|k| *k != "zzz")
            .collect();
        assert!(!keys.is_empty(), "{table:?}: {listed}");
        for key in keys {
            if key == "dashboard" {
                assert!(man.contains(".SS [dashboard]"), "no [dashboard] table");
                continue;
            }
            assert!(
                man.contains(&format!("\\fB{key}\\fR")),
                "{table:?} key {key} is not in the man page"
            );
        }
    }
}

#[test]
fn completions_follow_config_and_never_offer_the_worker() {
    let home = Home::new(
        "[providers.corp]\nissuer = \"https://idp.example\"\nclient_id = \"c\"\n\n[accounts.work]\nprovider = \"corp\"\n",
    );
    let other = home.path().join("other.toml");
    std::fs::write(&other, "[providers.corp]\nissuer = \"https://idp.example\"\nclient_id = \"c\"\n\n[accounts.elsewhere]\nprovider = \"corp\"\n").expect("write");
    let other = other.display().to_string();
    let accounts = |words: &[&str]| -> Vec<String> {
        bash_completes(&home, words)
            .into_iter()
            .filter(|c| !c.starts_with('-'))
            .collect()
    };
    assert_eq!(
        accounts(&["tokdeck", "--config", &other, "token", ""]),
        ["elsewhere"]
    );
    assert_eq!(
        accounts(&["tokdeck", "token", &format!("--config={other}"), ""]),
        ["elsewhere"]
    );
    assert_eq!(accounts(&["tokdeck", "token", ""]), ["work"]);
    let underscore = bash_completes(&home, &["tokdeck", "_"]);
    assert!(underscore.iter().all(|c| c.is_empty()), "{underscore:?}");
}

#[test]
fn the_dashboard_without_a_terminal_says_so_instead_of_panicking() {
    let home = Home::new("");
    // stdin is /dev/null and stdout a pipe, as under cron or `ssh HOST tokdeck`.
    let run = home.run(&[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("the dashboard needs a terminal")
            && run.stderr.contains("tokdeck --help"),
        "{run}"
    );
    assert!(
        !run.stderr.contains("panicked") && !run.stdout.contains('\x1b'),
        "{run}"
    );
}

#[test]
fn add_reads_a_scope_list_as_oauth_writes_it() {
    let provider = Provider::start(&[]);
    let home = Home::new(&provider.config());
    home.ok(&[
        "add",
        "several",
        "--provider",
        "public",
        "--scope",
        "openid profile",
        "--scope",
        "email",
    ]);
    let text = std::fs::read_to_string(home.path().join("config.toml")).expect("config");
    let table = &text[text.find("[accounts.several]").expect("the new table")..];
    assert!(
        table.contains(r#""openid", "profile", "email""#) && !table.contains("openid profile"),
        "three scopes: {table}"
    );
}

#[test]
fn decode_checks_the_claims_it_is_asked_to_and_names_each_failure() {
    use base64::Engine as _;
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let token = format!(
        "{}.{}.c2ln",
        b64(serde_json::json!({"alg": "RS256", "typ": "JWT"})),
        b64(serde_json::json!({
            "iss": "https://idp.example", "aud": ["api", "web"],
            "iat": now - 600, "exp": now + 600, "sub": "alice"
        }))
    );
    let home = Home::new("");
    // What it holds: exit 0, the failures list empty.
    let run = home.ok(&[
        "decode",
        &token,
        "--aud",
        "api",
        "--iss",
        "https://idp.example",
    ]);
    let out: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(out["claim_failures"], serde_json::json!([]), "{run}");
    // Another audience, another issuer, too old: exit 3, each named on stderr and in JSON.
    let run = home.run(&[
        "decode",
        &token,
        "--aud",
        "reports",
        "--iss",
        "https://evil.example",
        "--max-age",
        "60",
    ]);
    assert_eq!(run.code, 3, "{run}");
    let out: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let claims: Vec<&str> = out["claim_failures"]
        .as_array()
        .expect("failures")
        .iter()
        .filter_map(|f| f["claim"].as_str())
        .collect();
    assert_eq!(claims, ["aud", "iss", "iat"], "{run}");
    assert!(
        run.stderr.contains("`iss` is \"https://idp.example\", expected \"https://evil.example\" (the token is another issuer's)"),
        "{run}"
    );
    // A leeway forgives a clock that is a little off, not more.
    let run = home.run(&["decode", &token, "--max-age", "590", "--leeway", "30"]);
    assert_eq!(run.code, 0, "{run}");
    // On a terminal (script(1) gives it one), people get the readable view.
    let run = home.shell(
        "sh",
        &format!("script -qec 'tokdeck decode {token} --aud reports' /dev/null"),
    );
    assert!(run.stdout.contains("JWT  not verifiable"), "{run}");
    assert!(run.stdout.contains("Failed checks"), "{run}");
    assert!(!run.stdout.contains("\"claims\":"), "not JSON: {run}");
}
