//! One grant, many processes: concurrent refreshes against the real provider with
//! refresh-token rotation (where reusing a rotated refresh token revokes the grant).

use crate::common;

use common::Home;
use common::provider::Provider;
use common::tmux::Tmux;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn stored(home: &Home, field: &str) -> String {
    home.record("dev")["tokens"][field]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn logged_in(provider: &Provider) -> Home {
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    home.ok(&["login", "dev"]);
    home
}

#[test]
fn eight_processes_and_the_dashboard_refresh_one_grant_without_losing_it() {
    let provider = Provider::start(&["--access-ttl", "4"]);
    let home = logged_in(&provider);
    // The dashboard's own scheduler refreshes these 4 s tokens too.
    let _dashboard = Tmux::start(&home, 100, 30);
    // Half the processes force a refresh each time; the others ask for more validity
    // than these tokens have, and refresh whenever the token is no longer brand new.
    let workers: Vec<_> = (0..8)
        .map(|i| {
            let args: &[&str] = if i % 2 == 0 {
                &["refresh", "dev"]
            } else {
                &["token", "dev", "--min-valid", "3600"]
            };
            let mut command = home.command(args);
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                for _ in 0..14 {
                    let out = command.output().expect("run");
                    if !out.status.success() {
                        failures.push(String::from_utf8_lossy(&out.stderr).into_owned());
                    }
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("join"))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let refreshes = provider.log_count("POST /token -> 200");
    // Each `refresh` asks for a token newer than its ask: one refresh that finished
    // after it answers every call queued behind it, so the four refreshing processes
    // cause at least one refresh per round each of them waited for, not one per call.
    assert!(refreshes >= 14, "{refreshes} refreshes");
    assert_eq!(provider.log_count("invalid_grant"), 0, "{}", provider.log());
    assert_eq!(provider.log_count("grant.revoked"), 0);
    // The grant is alive: a refresh works, and the stored refresh token is active.
    home.ok(&["refresh", "dev"]);
    let introspection = provider.introspect(&stored(&home, "refresh_token"));
    assert_eq!(introspection["active"], true, "{introspection}");
}

#[cfg(unix)]
#[test]
fn kill_9_and_ctrl_c_in_the_middle_of_refreshes_never_break_the_store_or_the_grant() {
    use std::os::unix::process::CommandExt;
    // 10 s tokens asked for an hour: a `token` refreshes whenever the token is more
    // than a second old (younger ones are as fresh as the provider makes them).
    let provider = Provider::start(&["--access-ttl", "10"]);
    let aged = || std::thread::sleep(Duration::from_millis(1100));
    let home = logged_in(&provider);
    // `token` on the file store forks its worker; `refresh` runs `tokdeck __refresh`.
    let forked: &[&str] = &["token", "dev", "--min-valid", "3600"];
    let spawned: &[&str] = &["refresh", "dev"];
    // How long one forced refresh takes here, to spread the kills over its whole life.
    let life = [forked, spawned]
        .iter()
        .map(|args| {
            aged();
            let start = Instant::now();
            home.ok(args);
            start.elapsed().as_millis() as u64
        })
        .max()
        .unwrap_or_default();
    // On Linux the `token` half really forks (a caller with threads would exec instead).
    #[cfg(target_os = "linux")]
    {
        aged();
        home.ok(&[
            "--log-level",
            "debug",
            "token",
            "dev",
            "--min-valid",
            "3600",
        ]);
        let log = std::fs::read_to_string(home.path().join("tokdeck.log")).expect("log");
        assert!(log.contains("refresh worker forked"), "{log}");
    }
    for round in 0..40u64 {
        let args = if round % 4 < 2 { forked } else { spawned };
        if args == forked {
            aged();
        }
        // Each command leads a process group of its own, as a shell's foreground job does.
        let mut child = home
            .command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("spawn");
        // Spread the kills over the whole life of the process.
        std::thread::sleep(Duration::from_millis(life * (round / 4) / 9));
        let pid = child.id().to_string();
        let _ = if round % 2 == 0 {
            // kill -9 of the command alone.
            Command::new("kill").args(["-9", &pid]).status()
        } else {
            // Ctrl-C: SIGINT to the whole foreground group; the worker is not in it.
            Command::new("kill")
                .args(["-INT", "--", &format!("-{pid}")])
                .status()
        };
        let _ = child.wait();
    }
    // Orphaned workers finish their save; then everything still works.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let run = home.run(&["refresh", "dev"]);
        if run.code == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline && run.stderr.contains("is being refreshed"),
            "{run}\nprovider log:\n{}",
            provider.log()
        );
    }
    let list = home.ok(&["list", "--json"]);
    assert!(list.stdout.contains("\"valid\""), "{list}");
    let refreshes = provider.log_count("POST /token -> 200");
    assert!(
        refreshes > 5,
        "the kills landed among real refreshes ({refreshes})"
    );
    assert_eq!(provider.log_count("invalid_grant"), 0, "{}", provider.log());
    let token = home.ok(&["token", "dev", "--min-valid", "3600"]).stdout;
    assert_eq!(token.trim(), stored(&home, "access_token"));
}

/// The moment that matters, made to happen every time: the provider has the old refresh
/// token (it is spent) and holds its answer with the rotated one; the caller is killed
/// right then; the worker still saves the rotated token.
#[cfg(unix)]
#[test]
fn a_caller_killed_while_the_provider_rotates_never_loses_the_new_refresh_token() {
    use common::stub::{Stub, delayed, json};
    use std::os::unix::process::CommandExt;
    let stub = Stub::start();
    stub.on(
        "/token",
        vec![delayed(
            json(
                200,
                r#"{"access_token":"at-2","token_type":"Bearer","refresh_token":"rt-2","expires_in":3600}"#,
            ),
            Duration::from_millis(1500),
        )],
    );
    let endpoint = stub.url("/token");
    let home = Home::new(&format!(
        "[providers.p]\nclient_id = \"c\"\ntoken_endpoint = \"{endpoint}\"\n[accounts.a]\nprovider = \"p\"\n"
    ));
    for (args, round) in [(&["token", "a"][..], 1), (&["refresh", "a"][..], 2)] {
        let refresh = format!("rt-1-{round}");
        let record = common::bound_record(
            "at-1",
            Some(&refresh),
            Some("2026-01-01T01:00:00Z"),
            &endpoint,
            "c",
        );
        home.write_record("a", &record);
        let seen = stub.requests().len();
        let mut child = home
            .command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("spawn");
        // The provider has the refresh token (and has spent it)...
        let deadline = Instant::now() + Duration::from_secs(10);
        while stub.requests().len() == seen {
            assert!(Instant::now() < deadline, "no refresh reached the provider");
            std::thread::sleep(Duration::from_millis(5));
        }
        let (_, body) = stub.requests().last().cloned().expect("request");
        assert!(
            body.contains(&format!("refresh_token=rt-1-{round}")),
            "{body}"
        );
        // ...and the caller dies before the answer: the whole group, as Ctrl-C does.
        let pid = child.id().to_string();
        let _ = Command::new("kill")
            .args(["-9", "--", &format!("-{pid}")])
            .status();
        let _ = child.wait();
        // The worker, in a group of its own, saves the rotated token.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let saved = home.record("a")["tokens"]["refresh_token"].clone();
            if saved == "rt-2" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{args:?}: the rotated token was lost: {saved}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            home.record("a")["tokens"]["access_token"],
            "at-2",
            "{args:?}"
        );
    }
}

#[test]
fn offline_serves_the_cached_token_then_fails_clearly_then_recovers() {
    let provider = Provider::start(&["--access-ttl", "4"]);
    let home = logged_in(&provider);
    let cached = stored(&home, "access_token");
    provider.go_offline();
    // Valid and not due: printed without a word.
    let run = home.ok(&["token", "dev", "--min-valid", "0"]);
    assert_eq!(run.stdout.trim(), cached);
    assert!(run.stderr.is_empty(), "{run}");
    // Due for a refresh (and no longer brand new) but still valid: served, with a note.
    std::thread::sleep(Duration::from_millis(1100));
    let run = home.ok(&["token", "dev", "--min-valid", "60"]);
    assert_eq!(run.stdout.trim(), cached);
    assert!(run.stderr.contains("using the cached token"), "{run}");
    std::thread::sleep(Duration::from_millis(4200));
    let run = home.run(&["token", "dev"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("cannot connect"), "{run}");
    assert!(run.stdout.is_empty());
    provider.go_online();
    let run = home.ok(&["token", "dev"]);
    assert_ne!(
        run.stdout.trim(),
        cached,
        "refreshed once the provider is back"
    );
}

#[test]
fn a_login_in_progress_never_blocks_token_for_the_same_account() {
    let provider = Provider::start(&["--access-ttl", "60"]);
    let home = logged_in(&provider);
    // A second, interactive login that nobody approves.
    let mut login = home
        .command(&["login", "dev", "--no-browser"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn login");
    std::thread::sleep(Duration::from_millis(500));
    let start = Instant::now();
    let run = home.ok(&["token", "dev", "--min-valid", "3600"]);
    assert!(!run.stdout.trim().is_empty());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "token waited {:?}",
        start.elapsed()
    );
    assert!(
        login.try_wait().expect("wait").is_none(),
        "the login is still waiting for its user"
    );
    let _ = login.kill();
    let _ = login.wait();
}

#[test]
fn logout_while_offline_keeps_the_tokens_unless_local() {
    let provider = Provider::start(&[]);
    let home = logged_in(&provider);
    provider.go_offline();
    let run = home.run(&["logout", "dev"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.contains("the tokens were kept") && run.stderr.contains("--local"),
        "{run}"
    );
    assert!(home.path().join("tokens/dev.json").exists());
    let run = home.ok(&["logout", "dev", "--local"]);
    assert!(run.stderr.contains("stays valid at the provider"), "{run}");
    assert!(!home.path().join("tokens/dev.json").exists());
}

/// A provider that stops answering in the middle of a refresh (SIGSTOP: connections
/// queue, nothing is answered) and then resumes: the refresh it receives is answered
/// late, and that answer is the only copy of the rotated refresh token. Callers get
/// their timeout in time, nobody sends the old refresh token again, the worker that
/// sent the request stores the late answer, and the grant survives.
#[test]
fn a_stalled_provider_costs_no_grant_and_callers_are_answered_in_time() {
    let provider = Provider::start(&["--access-ttl", "600"]);
    let mut home = logged_in(&provider);
    home.set("TOKDECK_HTTP_TIMEOUT", "3");
    let before = stored(&home, "refresh_token");
    std::thread::sleep(Duration::from_secs(2));
    provider.pause();
    let start = Instant::now();
    // An explicit ask beyond what the token has left (under 598 s of 600): a refresh,
    // which stalls.
    let first = home.run(&["token", "dev", "--min-valid", "599"]);
    let first_took = start.elapsed();
    let second_start = Instant::now();
    let second = home.run(&["refresh", "dev"]);
    let second_took = second_start.elapsed();
    // TOKDECK_HTTP_TIMEOUT (3 s) bounds the whole wait, plus 2 s for lock and store.
    assert!(
        first_took < Duration::from_secs(8),
        "{first_took:?}: {first}"
    );
    assert!(
        second_took < Duration::from_secs(8),
        "{second_took:?}: {second}"
    );
    // The cached token is still valid: served, with a warning that describes the stall.
    assert_eq!(first.code, 0, "{first}");
    assert!(
        first.stderr.contains("has not finished") && !first.stderr.contains("less than"),
        "{first}"
    );
    assert_ne!(
        second.code, 0,
        "a forced refresh cannot succeed yet: {second}"
    );
    std::thread::sleep(Duration::from_secs(4));
    provider.resume();
    // The worker that sent the request is still waiting, and stores the late answer.
    let saved = Instant::now();
    while stored(&home, "refresh_token") == before {
        assert!(
            saved.elapsed() < Duration::from_secs(30),
            "the late answer was never stored:\n{}",
            provider.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The grant is alive: the next refresh works, and the provider saw no reuse.
    home.ok(&["refresh", "dev"]);
    home.ok(&["token", "dev"]);
    assert_eq!(provider.log_count("invalid_grant"), 0, "{}", provider.log());
    assert_eq!(provider.log_count("grant.revoked"), 0, "{}", provider.log());
    let refresh = stored(&home, "refresh_token");
    assert_eq!(provider.introspect(&refresh)["active"], true);
}
