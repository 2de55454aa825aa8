//! `tokdeck agent` with real processes: the agent started by the test, tokdeck commands
//! asking it, the real provider behind it.

#![cfg(unix)]

use crate::common;

use common::Home;
use common::agent::Agent;
use common::provider::Provider;
use std::os::unix::net::UnixStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// What a caller that must succeed printed, trimmed.
pub(crate) fn printed(child: std::process::Child) -> String {
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub(crate) fn logged_in(provider: &Provider, extra: &str) -> Home {
    let mut home = Home::new(&format!("{}{extra}", provider.config()));
    home.with_headless_user();
    home.ok(&["login", "dev"]);
    home
}

pub(crate) fn stored(home: &Home, account: &str) -> String {
    home.record(account)["tokens"]["access_token"]
        .as_str()
        .expect("access token")
        .to_string()
}

pub(crate) fn audit(home: &Home) -> Vec<serde_json::Value> {
    home.ok(&["audit", "--json"])
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit JSON"))
        .collect()
}

fn sha256(text: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("sha256sum output");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The requests waiting for a person, once `count` of them wait.
pub(crate) fn waiting(home: &Home, count: usize) -> Vec<serde_json::Value> {
    let start = Instant::now();
    loop {
        let run = home.ok(&["approve", "--list", "--json"]);
        let requests: Vec<serde_json::Value> = run
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("pending JSON"))
            .collect();
        if requests.len() >= count {
            return requests;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no request waited"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn token_comes_through_the_agent_and_the_audit_names_the_caller_never_the_token() {
    let provider = Provider::start(&[]);
    let home = logged_in(&provider, "");
    let agent = Agent::start(&home, &[]);
    let token = stored(&home, "dev");

    let run = home.ok(&["token", "dev"]);
    assert_eq!(run.stdout.trim(), token);
    let json: serde_json::Value =
        serde_json::from_str(home.ok(&["token", "dev", "--json"]).stdout.trim()).expect("json");
    assert_eq!(json["via"], "agent", "{json}");
    assert_eq!(json["access_token"], token.as_str());
    let header = home.ok(&["header", "dev"]);
    assert_eq!(
        header.stdout.trim(),
        format!("Authorization: Bearer {token}")
    );
    let exec = home.ok(&[
        "exec",
        "dev",
        "--",
        "sh",
        "-c",
        "printf %s \"$ACCESS_TOKEN\"",
    ]);
    assert_eq!(exec.stdout, token);
    // The account chosen by the caller's directory, as `tokdeck which` does.
    let mut chosen = home.command(&["token"]);
    chosen.env("TOKDECK_ACCOUNT", "dev");
    let out = chosen.output().expect("run");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), token);

    let entries = audit(&home);
    let granted: Vec<_> = entries
        .iter()
        .filter(|e| e["decision"] == "granted" && e["op"] == "token")
        .collect();
    assert_eq!(granted.len(), 5, "{entries:#?}");
    let first = granted[0];
    assert_eq!(first["account"], "dev");
    assert_eq!(first["decided_by"], "policy");
    assert_eq!(first["token_sha256"], sha256(&token).as_str());
    assert!(
        first["caller"]["pid"].as_u64().is_some_and(|p| p > 1),
        "{first}"
    );
    assert_eq!(
        first["caller"]["exe"],
        std::fs::canonicalize(env!("CARGO_BIN_EXE_tokdeck"))
            .expect("exe")
            .display()
            .to_string()
    );
    assert_eq!(first["class"], "a program of the user's (no terminal)");
    let text = std::fs::read_to_string(home.path().join("agent-audit.jsonl")).expect("audit");
    assert!(!text.contains(&token), "the audit holds the token");
    let refresh = home.record("dev")["tokens"]["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    assert!(!text.contains(&refresh));
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&home.path().join("agent-audit.jsonl")), 0o600);
    assert_eq!(mode(&home.path().join("agent")), 0o700);

    // `list` through the socket names the person and never a secret.
    let list = raw(&agent, &[r#"{"op":"hello","v":1}"#, r#"{"op":"list"}"#]);
    assert!(list[1].contains("\"name\":\"dev\""), "{list:?}");
    assert!(!list[1].contains(&token) && !list[1].contains(&refresh));

    // Starting another is a no-op that says so; `stop` ends it and removes the socket.
    let again = home.ok(&["agent"]);
    assert!(again.stderr.contains("already running"), "{again}");
    home.ok(&["agent", "stop"]);
    let start = Instant::now();
    while agent.socket.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the socket stayed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Without an agent, direct mode as before.
    assert_eq!(home.ok(&["token", "dev"]).stdout.trim(), token);
}

/// Sends `lines` on one connection; the answers.
pub(crate) fn raw(agent: &Agent, lines: &[&str]) -> Vec<String> {
    use std::io::{BufRead, BufReader, Write};
    let mut stream = UnixStream::connect(&agent.socket).expect("connect");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    lines
        .iter()
        .map(|line| {
            stream
                .write_all(format!("{line}\n").as_bytes())
                .expect("write");
            let mut answer = String::new();
            reader.read_line(&mut answer).expect("read");
            answer
        })
        .collect()
}

#[test]
fn no_request_can_get_a_refresh_token_and_unknown_operations_are_refused() {
    let provider = Provider::start(&[]);
    let home = logged_in(&provider, "");
    let agent = Agent::start(&home, &[]);
    let refresh = home.record("dev")["tokens"]["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    let answers = raw(
        &agent,
        &[
            r#"{"op":"hello","v":1}"#,
            r#"{"op":"refresh_token","account":"dev"}"#,
            r#"{"op":"token","account":"dev","refresh_token":true}"#,
            r#"{"op":"token","account":"dev","kind":"refresh_token"}"#,
            r#"{"op":"export","account":"dev","format":"json"}"#,
            r#"{"op":"list","secrets":true}"#,
            r#"{"op":"hello","v":99}"#,
            "not json",
            r#"{"op":"token","account":"dev"}"#,
        ],
    );
    for answer in &answers {
        assert!(
            !answer.contains(&refresh),
            "a refresh token left the agent: {answer}"
        );
    }
    let code = |a: &str| {
        serde_json::from_str::<serde_json::Value>(a).expect("answer JSON")["error"]["code"]
            .as_str()
            .unwrap_or("ok")
            .to_string()
    };
    let codes: Vec<String> = answers.iter().map(|a| code(a)).collect();
    assert_eq!(
        codes,
        [
            "ok",
            "unknown_op",
            "bad_request",
            "bad_request",
            "unknown_op",
            "bad_request",
            "version",
            "bad_request",
            "ok"
        ],
        "{answers:#?}"
    );
    // A line longer than the protocol allows ends the connection with an error.
    let long = format!(r#"{{"op":"token","account":"{}"}}"#, "x".repeat(70_000));
    let answers = raw(&agent, &[&long]);
    assert_eq!(code(&answers[0]), "bad_request", "{answers:?}");
}

#[test]
fn a_caller_of_another_uid_is_refused_even_when_it_reaches_the_socket() {
    let is_root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false);
    if !is_root {
        eprintln!("skipped: running as another user needs root (CI runs as root)");
        return;
    }
    let provider = Provider::start(&[]);
    let home = logged_in(&provider, "");
    let agent = Agent::start(&home, &[]);
    // The directory's 0700 is the first wall; opened here, the uid check must hold.
    use std::os::unix::fs::PermissionsExt;
    for (path, mode) in [
        (home.path().to_path_buf(), 0o755),
        (home.path().join("agent"), 0o755),
        (agent.socket.clone(), 0o777),
    ] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    let as_nobody = |program: &str, args: &[&str]| {
        std::process::Command::new("setpriv")
            .args([
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                "--",
                program,
            ])
            .args(args)
            .env("TOKDECK_AGENT_SOCK", &agent.socket)
            .env("TOKDECK_HOME", "/nonexistent")
            .stdin(Stdio::null())
            .output()
            .expect("setpriv")
    };
    // tokdeck itself will not talk to a socket that is not its user's.
    let out = as_nobody(env!("CARGO_BIN_EXE_tokdeck"), &["token", "dev"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("belongs to uid 0, not to you"), "{stderr}");
    // A client of its own: the agent refuses it by its uid.
    // It answers before any request, and closes.
    let script = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\nprint(s.makefile().read())";
    let socket = agent.socket.display().to_string();
    let out = as_nobody("/usr/bin/python3", &["-c", script, &socket]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("not_allowed") && stdout.contains("belongs to uid 0, and you are uid"),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout.contains("eyJ"),
        "a token went to another user: {stdout}"
    );
    let entries = audit(&home);
    assert!(
        entries
            .iter()
            .any(|e| e["op"] == "connect" && e["decision"] == "refused" && e["caller"]["uid"] != 0),
        "{entries:#?}"
    );
}

#[test]
fn a_coding_agent_waits_for_the_person_who_allows_denies_or_lets_it_time_out() {
    let provider = Provider::start(&[]);
    let home = logged_in(&provider, "");
    let _agent = Agent::start(&home, &["--ask-timeout", "3s"]);
    let token = stored(&home, "dev");
    let coding_agent = || {
        let mut command = home.command(&["token", "dev"]);
        command
            .env("CLAUDECODE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command.spawn().expect("spawn")
    };

    // Held until a person allows it once.
    let asking = coding_agent();
    let request = waiting(&home, 1).remove(0);
    assert_eq!(request["account"], "dev");
    assert!(
        request["caller"]
            .as_str()
            .unwrap_or("")
            .contains("coding agent: Claude Code"),
        "{request}"
    );
    let facts = request["facts"].as_array().expect("facts");
    let fact = |name: &str| {
        facts
            .iter()
            .find(|f| f["name"] == name)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(fact("environment")["value"], "CLAUDECODE");
    assert_eq!(fact("environment")["verified"], false);
    assert_eq!(fact("executable")["verified"], true);
    let id = request["id"].to_string();
    // The coding agent cannot answer its own request.
    let mut own = home.command(&["approve", &id, "once"]);
    own.env("CLAUDECODE", "1");
    let own = common::Run::from(own.output().expect("run"));
    assert_eq!(own.code, 1, "{own}");
    assert!(
        own.stderr.contains("only the person at this machine"),
        "{own}"
    );
    home.ok(&["approve", &id, "once"]);
    assert_eq!(printed(asking), token);

    // Denied: an error that says not to retry, exit 1, nothing on stdout.
    let asking = coding_agent();
    let id = waiting(&home, 1)[0]["id"].to_string();
    home.ok(&["approve", &id, "deny"]);
    let out = asking.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("denied") && stderr.contains("do not retry"),
        "{stderr}"
    );

    // Nobody answers: denied after the timeout, with the command a person must run.
    let out = coding_agent().wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("within 3 s") && stderr.contains("`tokdeck approve`"),
        "{stderr}"
    );

    // Allowed for the session: the next request of the same session is not asked about.
    let asking = coding_agent();
    let id = waiting(&home, 1)[0]["id"].to_string();
    home.ok(&["approve", &id, "session"]);
    assert!(asking.wait_with_output().expect("wait").status.success());
    let out = coding_agent().wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Another kind of caller in the same session is asked about, not covered by it.
    let mut codex = home
        .command(&["token", "dev"])
        .env("CODEX_SANDBOX", "seatbelt")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let request = waiting(&home, 1).remove(0);
    assert!(
        request["caller"]
            .as_str()
            .unwrap_or("")
            .contains("Codex CLI"),
        "{request}"
    );
    // It goes away before anyone answers: its request is withdrawn.
    codex.kill().expect("kill");
    codex.wait().expect("wait");
    let start = Instant::now();
    while !home
        .ok(&["approve", "--list", "--json"])
        .stdout
        .trim()
        .is_empty()
    {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the request stayed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let entries = audit(&home);
    let withdrawn = entries.last().expect("the withdrawn request's line");
    assert!(
        withdrawn["reason"]
            .as_str()
            .unwrap_or("")
            .contains("went away"),
        "{withdrawn}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["op"] == "decide" && e["decision"] == "refused"),
        "the coding agent's try to answer itself is not in the audit"
    );
    let decisions: Vec<(String, String)> = audit(&home)
        .iter()
        .filter(|e| e["op"] == "token")
        .map(|e| {
            (
                e["decision"].as_str().unwrap_or("").to_string(),
                e["decided_by"]
                    .as_str()
                    .unwrap_or("")
                    .split(' ')
                    .next()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("granted", "person"),
        ("denied", "person"),
        ("timed_out", "agent"),
        ("granted", "person"),
        ("granted", "approval"),
        ("refused", "agent"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
    .collect();
    assert_eq!(decisions, expected);
}

#[test]
fn a_locked_agent_refuses_until_the_person_unlocks_it() {
    let provider = Provider::start(&[]);
    let home = logged_in(&provider, "");
    let _agent = Agent::start(&home, &[]);
    let token = stored(&home, "dev");
    home.ok(&["token", "dev"]);
    home.ok(&["agent", "lock"]);
    let status = home.ok(&["agent", "status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(status.stdout.trim()).expect("json");
    assert_eq!(status["locked"], true);
    assert_eq!(status["held"], 0, "a locked agent holds no token");
    let run = home.run(&["token", "dev"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("`tokdeck agent unlock`"), "{run}");
    let mut by_agent = home.command(&["agent", "unlock"]);
    by_agent.env("CODEX_SANDBOX", "seatbelt");
    assert_eq!(common::Run::from(by_agent.output().expect("run")).code, 1);
    home.ok(&["agent", "unlock"]);
    assert_eq!(home.ok(&["token", "dev"]).stdout.trim(), token);
}

#[test]
fn sixteen_callers_through_the_agent_cause_one_refresh() {
    let provider = Provider::start(&["--access-ttl", "6"]);
    let home = logged_in(&provider, "");
    let _agent = Agent::start(&home, &[]);
    let old = stored(&home, "dev");
    // Past the refresh point of a 6 s token (half its life).
    std::thread::sleep(Duration::from_millis(3500));
    let before = provider.log_count("POST /token -> 200");
    let callers: Vec<_> = (0..16)
        .map(|_| {
            home.command(&["token", "dev"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let tokens: Vec<String> = callers
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().expect("wait");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        })
        .collect();
    assert_eq!(
        provider.log_count("POST /token -> 200") - before,
        1,
        "{}",
        provider.log()
    );
    assert!(tokens.iter().all(|t| *t == tokens[0]), "different tokens");
    assert_ne!(tokens[0], old, "no refresh happened");
    assert_eq!(
        tokens[0],
        stored(&home, "dev"),
        "the refreshed token was not stored"
    );
}

#[test]
fn kill_9_of_the_agent_in_the_middle_of_a_refresh_loses_no_grant() {
    let provider = Provider::start(&["--access-ttl", "4"]);
    let home = logged_in(&provider, "");
    let agent = Agent::start(&home, &[]);
    std::thread::sleep(Duration::from_millis(2500));
    provider.pause();
    let asking = home
        .command(&["token", "dev"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(500));
    let killed = std::process::Command::new("kill")
        .args(["-9", &agent.pid().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    provider.resume();
    let out = asking.wait_with_output().expect("wait");
    assert!(
        !out.status.success(),
        "the caller of a killed agent succeeded?"
    );
    // The refresh the agent started goes on in its worker and is stored; the grant lives.
    let start = Instant::now();
    loop {
        let mut direct = home.command(&["token", "dev"]);
        direct.env("TOKDECK_AGENT", "off");
        let run = common::Run::from(direct.output().expect("run"));
        if run.code == 0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{run}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut forced = home.command(&["refresh", "dev"]);
    forced.env("TOKDECK_AGENT", "off");
    assert_eq!(common::Run::from(forced.output().expect("run")).code, 0);
    assert_eq!(provider.log_count("invalid_grant"), 0, "{}", provider.log());
    let refresh = home.record("dev")["tokens"]["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    assert_eq!(provider.introspect(&refresh)["active"], true);
}

#[test]
fn the_agent_signs_dpop_proofs_that_the_resource_server_accepts() {
    use common::provider::Resource;
    let provider = Provider::start(&[]);
    let resource = Resource::start(&provider.issuer);
    let mut home = Home::new(&crate::modern_oauth::dpop_config(&provider));
    home.with_headless_user();
    home.ok(&["login", "bound"]);
    let key_before = home.record("bound")["tokens"]["dpop_key"].clone();
    let _agent = Agent::start(&home, &[]);
    let url = format!("{}/items?page=2", resource.url);
    let headers = home
        .ok(&["header", "bound", "--method", "get", "--url", &url])
        .stdout;
    let token = stored(&home, "bound");
    assert!(
        headers.starts_with(&format!("Authorization: DPoP {token}\nDPoP: ")),
        "{headers}"
    );
    let (status, body) = resource.get("/items?page=2", &headers);
    assert_eq!(status, 200, "{body}");
    // The key stayed in the agent: nothing the caller got holds it.
    let key = key_before.as_str().expect("dpop key");
    assert!(!headers.contains(key));
    let entries = audit(&home);
    assert!(
        entries
            .iter()
            .any(|e| e["op"] == "dpop_proof" && e["decision"] == "granted"),
        "{entries:#?}"
    );
    // A proof for a token the agent did not hand out is refused.
    let answers = raw(
        &_agent,
        &[
            r#"{"op":"hello","v":1}"#,
            r#"{"op":"dpop_proof","account":"bound","method":"GET","url":"http://127.0.0.1/x","ath":"bm90LXRoZS10b2tlbg"}"#,
        ],
    );
    assert!(
        answers[1].contains("\"ok\":false") && answers[1].contains("handed out"),
        "{answers:?}"
    );
}

#[test]
fn git_and_docker_get_their_tokens_through_the_agent() {
    let provider = Provider::start(&[]);
    let home = crate::tools::two_people(&provider);
    let root = tempfile::tempdir().expect("tempdir");
    let server = crate::tools::git_server(&provider, root.path());
    let alice = format!("{}/alice.git", server.url);
    home.ok(&["setup", "git", "dev", &alice]);
    let _agent = Agent::start(&home, &[]);
    let work = home.path().join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    let run = home.shell(
        "sh",
        &format!(
            "cd '{}' && git clone -q {alice} a && cat a/README",
            work.display()
        ),
    );
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout, "alice.git\n");
    let entries = audit(&home);
    let by_git = entries
        .iter()
        .find(|e| e["decision"] == "granted" && e["account"] == "dev")
        .unwrap_or_else(|| panic!("no grant to git: {entries:#?}"));
    let parents = by_git["caller"]["ancestors"].to_string();
    assert!(
        parents.contains("git"),
        "the helper's parents name git: {parents}"
    );

    let token = stored(&home, "dev");
    let run = home.shell(
        "sh",
        &format!("printf '{alice}' | tokdeck docker-credential get"),
    );
    assert_eq!(run.code, 0, "{run}");
    let answer: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("json");
    assert_eq!(answer["Secret"], token.as_str());
    assert_eq!(answer["ServerURL"], alice.as_str());
    let run = home.shell(
        "sh",
        "printf nothere.example.test | tokdeck docker-credential get",
    );
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stdout.contains("credentials not found"), "{run}");
    let granted = audit(&home)
        .iter()
        .filter(|e| e["decision"] == "granted")
        .count();
    assert!(granted >= 2, "git and Docker went through the agent");
}

#[test]
fn the_dashboard_puts_the_request_to_the_person_and_shows_the_activity() {
    use common::tmux::Tmux;
    let provider = Provider::start(&[]);
    let home = logged_in(&provider, "");
    let _agent = Agent::start(&home, &["--ask-timeout", "30s"]);
    let token = stored(&home, "dev");
    let tmux = Tmux::start(&home, 130, 45);
    tmux.wait_for("the dashboard", Duration::from_secs(10), |s| {
        s.contains("dev")
    });
    let asking = home
        .command(&["token", "dev"])
        .env("CLAUDECODE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let screen = tmux.wait_for("the agent's question", Duration::from_secs(10), |s| {
        s.contains("tokdeck agent: request")
    });
    assert!(screen.contains("Claude Code"), "{screen}");
    assert!(
        screen.contains("verified") && screen.contains("claimed"),
        "{screen}"
    );
    assert!(
        screen.contains("Allow once") && screen.contains("Deny"),
        "{screen}"
    );
    for _ in 0..3 {
        tmux.send(&["Left"]);
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.send(&["Enter"]);
    assert_eq!(printed(asking), token);
    let granted = audit(&home);
    let by_person = granted
        .iter()
        .find(|e| e["decision"] == "granted")
        .expect("a grant");
    assert!(
        by_person["decided_by"]
            .as_str()
            .unwrap_or("")
            .starts_with("person (tokdeck pid"),
        "{by_person}"
    );
    // The selected account's activity (the first row, 'web': none), then everyone's.
    tmux.send(&["L"]);
    std::thread::sleep(Duration::from_millis(100));
    tmux.send(&["L"]);
    let screen = tmux.wait_for("the activity pane", Duration::from_secs(10), |s| {
        s.contains("Agent activity: every account") && s.contains("granted")
    });
    assert!(screen.contains("coding agent"), "{screen}");
    tmux.send(&["q"]);
}

#[test]
fn a_grant_unused_for_forget_after_is_revoked_and_deleted_and_said() {
    let provider = Provider::start(&[]);
    let home = logged_in(
        &provider,
        "\n[accounts.dev.agent]\nforget_after = \"2s\"\n\n[accounts.web.agent]\nforget_after = \"14d\"\n",
    );
    let refresh = home.record("dev")["tokens"]["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    std::thread::sleep(Duration::from_millis(2500));
    let _agent = Agent::start(&home, &[]);
    let start = Instant::now();
    while home.path().join("tokens/dev.json").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "dev was not forgotten"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        provider.introspect(&refresh)["active"],
        false,
        "not revoked"
    );
    assert!(
        provider.log_count("/token/revocation") >= 1,
        "{}",
        provider.log()
    );
    let entries = audit(&home);
    let forgot = entries
        .iter()
        .find(|e| e["op"] == "forget")
        .unwrap_or_else(|| panic!("{entries:#?}"));
    assert_eq!(forgot["account"], "dev");
    assert!(
        forgot["reason"]
            .as_str()
            .unwrap_or("")
            .contains("forget_after"),
        "{forgot}"
    );
    let run = home.run(&["token", "dev"]);
    assert_eq!(run.code, 4, "{run}");
}
