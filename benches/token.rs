//! Whole-process costs of `tokdeck token`, each beside a baseline from the same run:
//! - a valid cached token (file store, keyring store) against a do-nothing Rust binary;
//! - a forced refresh against the provider's own response time for the same refresh,
//!   measured with a minimal HTTP client on another grant;
//! - the dashboard's first frame with 1,000 accounts, from process start, in a pty,
//!   against a program that prints the same marker through the same pty;
//! - a device login: the delay between the user's approval and tokdeck holding the
//!   tokens, against the polling interval.
//!
//! Needs the test provider (scripts/test installs it) and gnome-keyring + dbus.
//! Run: `cargo bench --bench token`

#[path = "../tests/common/mod.rs"]
mod common;

use common::Home;
use common::keyring::KeyringSession;
use common::provider::Provider;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 40;

fn succeed(command: &mut Command) {
    let out = command.output().expect("run");
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn noop_binary(dir: &std::path::Path) -> std::path::PathBuf {
    rust_binary(dir, "noop", "fn main() {}\n")
}

fn rust_binary(dir: &std::path::Path, name: &str, code: &str) -> std::path::PathBuf {
    let src = dir.join(format!("{name}.rs"));
    std::fs::write(&src, code).expect("write");
    let exe = dir.join(name);
    succeed(
        Command::new("rustc")
            // As tokdeck's release profile builds: fat LTO, one codegen unit.
            .args([
                "-C",
                "opt-level=3",
                "-C",
                "codegen-units=1",
                "-C",
                "lto=fat",
                "-o",
            ])
            .arg(&exe)
            .arg(&src),
    );
    exe
}

/// Time from spawning `program` in a 160x50 pty (util-linux `script`) until its output
/// holds `marker`; the program is then told to quit (`q`) or killed.
fn time_to_output(program: &str, env: &[(String, String)], marker: &str) -> Duration {
    use std::io::{Read, Write};
    let start = Instant::now();
    let mut child = Command::new("script")
        .args([
            "-qfec",
            &format!("stty rows 50 cols 160; exec {program}"),
            "/dev/null",
        ])
        .envs(env.iter().cloned())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run script (util-linux)");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    let mut buf = [0u8; 65536];
    let elapsed = loop {
        let n = stdout.read(&mut buf).expect("read");
        if n == 0 {
            let _ = child.kill();
            panic!("{program} ended before printing {marker:?}");
        }
        seen.extend_from_slice(&buf[..n]);
        if String::from_utf8_lossy(&seen).contains(marker) {
            break start.elapsed();
        }
    };
    let mut stdin = child.stdin.take().expect("stdin");
    let _ = stdin.write_all(b"q");
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    elapsed
}

/// A command measured beside others.
type Run<'a> = (&'static str, Box<dyn FnMut() + 'a>);

/// Runs every command once per round, in turn (after two warm-up rounds), so that the
/// drift of a noisy machine hits all of them alike; returns each one's median.
fn interleaved(rounds: usize, runs: &mut [Run]) -> Vec<Duration> {
    for _ in 0..2 {
        for (_, run) in runs.iter_mut() {
            run();
        }
    }
    let mut times = vec![Vec::with_capacity(rounds); runs.len()];
    for _ in 0..rounds {
        for (i, (_, run)) in runs.iter_mut().enumerate() {
            let start = Instant::now();
            run();
            times[i].push(start.elapsed());
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect()
}

fn command_with(exe: &std::ffi::OsStr, like: &Command) -> Command {
    let mut command = Command::new(exe);
    command.args(like.get_args());
    for (k, v) in like.get_envs() {
        match v {
            Some(v) => command.env(k, v),
            None => command.env_remove(k),
        };
    }
    command
}

fn main() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let noop = noop_binary(scratch.path());
    let provider = Provider::start(&["--access-ttl", "3600"]);

    // Plus an account on a preset provider (what the dashboard's `A` writes), whose
    // config also reads the shipped preset.
    // Its `directories` choose it for `tokdeck token` without an argument in `project`.
    let project = scratch.path().join("project");
    let in_project = project.join("api/src");
    std::fs::create_dir_all(&in_project).expect("project dir");
    let mut file_home = Home::new(&format!(
        "{}\n[providers.preset]\npreset = \"generic\"\nissuer = \"{}\"\nclient_id = \"{}\"\nflow = \"device\"\n\n[accounts.preset-dev]\nprovider = \"preset\"\ndirectories = [\"{}\"]\n",
        provider.config(),
        provider.issuer,
        common::provider::PUBLIC_CLIENT,
        project.display()
    ));
    file_home.with_headless_user();
    file_home.ok(&["login", "dev"]);
    file_home.ok(&["login", "web-public"]);
    file_home.ok(&["login", "preset-dev"]);

    let keyring = KeyringSession::start();
    let mut keyring_home = Home::new(&provider.config());
    keyring_home.with_headless_user();
    for (k, v) in keyring.env() {
        keyring_home.set(&k, &v);
    }
    keyring_home.ok(&["login", "dev"]);
    let keyring_service = format!("tokdeck:{}", keyring_home.path().display());

    // gh (Debian package `gh`) reading a stored token from a hosts.yml.
    let gh_dir = scratch.path().join("gh");
    let gh = Command::new("gh").arg("--version").output().is_ok();
    if gh {
        std::fs::create_dir_all(&gh_dir).expect("gh dir");
        std::fs::write(
            gh_dir.join("hosts.yml"),
            "github.com:\n    oauth_token: gho_0123456789abcdefghijklmnopqrstuvwxyz\n    user: tokdeck\n",
        )
        .expect("hosts.yml");
    }
    // oidc-agent (Debian `oidc-agent-cli`) logged in to the same provider, grant of its own.
    let oidc_env: Option<Vec<(String, String)>> = Command::new("oidc-agent")
        .arg("--version")
        .output()
        .is_ok()
        .then(|| {
            let lab = scratch.path().join("oidc-agent");
            succeed(
                Command::new(common::repo().join("scripts/oidc-agent-lab"))
                    .arg(&provider.issuer)
                    .arg(&lab),
            );
            std::fs::read_to_string(lab.join("env.sh"))
                .expect("env.sh")
                .trim()
                .trim_start_matches("export ")
                .split(' ')
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    Some((k.to_string(), v.trim_matches('\'').to_string()))
                })
                .collect()
        });
    let oidc_token = |args: &[&str]| {
        let mut command = Command::new("oidc-token");
        command.args(args).envs(oidc_env.iter().flatten().cloned());
        command
    };
    // Another build of tokdeck (for example scripts/build-static) and its own floor.
    let alt = std::env::var_os("TOKDECK_ALT_BIN");
    let alt_noop = std::env::var_os("TOKDECK_ALT_NOOP").unwrap_or_else(|| noop.clone().into());

    // 1. Start-up with a valid cached token, everything interleaved.
    let mut runs: Vec<Run> = vec![
        (
            "do-nothing binary",
            Box::new(|| succeed(&mut Command::new(&noop))),
        ),
        (
            "token, cached, file store",
            Box::new(|| succeed(&mut file_home.command(&["token", "dev"]))),
        ),
        (
            "token, cached, file store, preset provider",
            Box::new(|| succeed(&mut file_home.command(&["token", "preset-dev"]))),
        ),
        (
            "token, cached, file store, account from directories",
            Box::new(|| {
                succeed(
                    file_home
                        .command(&["token"])
                        .current_dir(&in_project)
                        .env("PWD", &in_project),
                )
            }),
        ),
        (
            "token, cached, keyring store",
            Box::new(|| succeed(&mut keyring_home.command(&["token", "dev"]))),
        ),
        (
            "secret-tool lookup",
            Box::new(|| {
                succeed(
                    Command::new("secret-tool")
                        .args(["lookup", "service", &keyring_service, "username", "dev"])
                        .envs(keyring.env()),
                )
            }),
        ),
    ];
    if gh {
        runs.push((
            "gh auth token",
            Box::new(|| {
                succeed(
                    Command::new("gh")
                        .args(["auth", "token"])
                        .env("GH_CONFIG_DIR", &gh_dir),
                )
            }),
        ));
    }
    if oidc_env.is_some() {
        runs.push((
            "oidc-token",
            Box::new(|| succeed(&mut oidc_token(&["tokdeck"]))),
        ));
    }
    if let Some(alt) = &alt {
        runs.push((
            "token, cached, file store, TOKDECK_ALT_BIN",
            Box::new(|| {
                succeed(&mut command_with(
                    alt,
                    &file_home.command(&["token", "dev"]),
                ))
            }),
        ));
        runs.push((
            "TOKDECK_ALT_NOOP",
            Box::new(|| succeed(&mut Command::new(&alt_noop))),
        ));
    }
    // Start-up times are short and noisy: three times the rounds.
    let startup = interleaved(3 * RUNS, &mut runs);
    let startup: Vec<(&str, Duration)> = runs.iter().map(|r| r.0).zip(startup).collect();
    drop(runs);

    // 2. A forced refresh, beside the provider's own time for the same refresh (raw HTTP
    //    on the `web-public` grant: same client, same scopes) and `oidc-token -f`.
    let mut refresh_token = file_home.record("web-public")["tokens"]["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_string();
    let token_url = format!("{}/token", provider.issuer);
    let mut runs: Vec<Run> = vec![
        (
            "token --min-valid 999999 (forced refresh)",
            Box::new(|| {
                succeed(&mut file_home.command(&["token", "dev", "--min-valid", "999999"]))
            }),
        ),
        (
            "the provider's own refresh (raw HTTP)",
            Box::new(|| {
                let body = format!(
                    "grant_type=refresh_token&client_id=tokdeck-public&refresh_token={refresh_token}"
                );
                let (status, text) = common::http_post(&token_url, &body);
                assert_eq!(status, 200, "{text}");
                let json: serde_json::Value = serde_json::from_str(&text).expect("json");
                refresh_token = json["refresh_token"].as_str().expect("rotated").to_string();
            }),
        ),
    ];
    if oidc_env.is_some() {
        runs.push((
            "oidc-token -f",
            Box::new(|| succeed(&mut oidc_token(&["-f", "tokdeck"]))),
        ));
    }
    let refresh = interleaved(RUNS / 2, &mut runs);
    let refresh: Vec<(&str, Duration)> = runs.iter().map(|r| r.0).zip(refresh).collect();
    drop(runs);
    if let Some(env) = &oidc_env {
        let _ = Command::new("oidc-agent")
            .arg("-k")
            .envs(env.iter().cloned())
            .output();
    }

    // 3. The dashboard's first frame with 1,000 accounts, from process start.
    let mut config = provider.config();
    for i in 0..1000 {
        config.push_str(&format!(
            "\n[accounts.acct-{i:04}]\nprovider = \"public\"\n"
        ));
    }
    let big_home = Home::new(&config);
    let mut env: Vec<(String, String)> = big_home.env.clone();
    env.push(("TOKDECK_HOME".into(), big_home.path().display().to_string()));
    // The title of the accounts pane; ratatui moves the cursor over the blank between the
    // two words, so the count alone is the marker.
    let accounts = format!("({})", config.matches("[accounts.").count());
    let marker = rust_binary(
        scratch.path(),
        "marker",
        &format!(
            "fn main() {{ println!(\"Accounts {accounts}\"); std::thread::sleep(std::time::Duration::from_secs(5)); }}\n"
        ),
    );
    let tokdeck = env!("CARGO_BIN_EXE_tokdeck");
    let marker = marker.display().to_string();
    // Interleaved too; the time ends when the marker is on the screen (quitting is not timed).
    let frames = interleaved_output(15, tokdeck, &marker, &env, &accounts);

    // 4. Device login: approval (the headless user's browser exits) to tokens held (login exits).
    let device = Provider::start_plain(&["--access-ttl", "3600", "--device-interval", "2"]);
    let mut device_home = Home::new(&device.config());
    let browser = device_home.path().join("browser-stamp.sh");
    let approvals = device_home.path().join("approvals");
    // The headless user approves; this wrapper notes when its browser is done.
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nnode '{}' \"$@\" >/dev/null 2>&1\ndate +%s.%N >> '{}'\n",
            common::repo().join("tests/provider/user.js").display(),
            approvals.display()
        ),
    )
    .expect("browser script");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    device_home.set("BROWSER", &browser.display().to_string());
    let mut delays = Vec::new();
    for _ in 0..5 {
        let _ = std::fs::remove_file(&approvals);
        let _ = device_home.run(&["logout", "dev", "--local"]);
        succeed(&mut device_home.command(&["login", "dev"]));
        let done = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs_f64();
        let approved: f64 = std::fs::read_to_string(&approvals)
            .expect("the browser ran")
            .trim()
            .parse()
            .expect("timestamp");
        delays.push(Duration::from_secs_f64((done - approved).max(0.0)));
    }
    delays.sort();
    let interval = Duration::from_secs(2);

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let get = |list: &[(&str, Duration)], name: &str| {
        list.iter().find(|(n, _)| *n == name).map(|(_, d)| *d)
    };
    println!(
        "{:<50} {:>9} {:>10} {:>7}",
        "measure (medians, interleaved runs)", "tokdeck", "baseline", "ratio"
    );
    let row = |name: &str, value: Option<Duration>, base: Option<Duration>, base_name: &str| {
        if let (Some(value), Some(base)) = (value, base) {
            println!(
                "{name:<50} {:>7.2}ms {:>8.2}ms {:>6.2}x   (baseline: {base_name}; {:+.2} ms)",
                ms(value),
                ms(base),
                ms(value) / ms(base),
                ms(value) - ms(base)
            );
        }
    };
    let file = get(&startup, "token, cached, file store");
    let keyring_time = get(&startup, "token, cached, keyring store");
    let floor = get(&startup, "do-nothing binary");
    row(
        "token, cached, file store",
        file,
        floor,
        "do-nothing Rust binary",
    );
    row(
        "token, cached, file store, preset provider",
        get(&startup, "token, cached, file store, preset provider"),
        floor,
        "do-nothing Rust binary",
    );
    row(
        "token, cached, no account named (directories)",
        get(
            &startup,
            "token, cached, file store, account from directories",
        ),
        get(&startup, "token, cached, file store, preset provider"),
        "the same account named",
    );
    row(
        "token, cached, keyring store",
        keyring_time,
        floor,
        "do-nothing Rust binary",
    );
    row(
        "token, cached, keyring store",
        keyring_time,
        get(&startup, "secret-tool lookup"),
        "secret-tool lookup (libsecret)",
    );
    row(
        "token, cached, file store",
        file,
        get(&startup, "oidc-token"),
        "oidc-token (oidc-agent)",
    );
    row(
        "token, cached, file store",
        file,
        get(&startup, "gh auth token"),
        "gh auth token",
    );
    row(
        "token, cached, file store (TOKDECK_ALT_BIN)",
        get(&startup, "token, cached, file store, TOKDECK_ALT_BIN"),
        get(&startup, "TOKDECK_ALT_NOOP"),
        "do-nothing binary built the same way",
    );
    let forced = get(&refresh, "token --min-valid 999999 (forced refresh)");
    row(
        "forced refresh (token --min-valid 999999)",
        forced,
        get(&refresh, "the provider's own refresh (raw HTTP)"),
        "the provider's own refresh, raw HTTP",
    );
    row(
        "forced refresh",
        forced,
        get(&refresh, "oidc-token -f"),
        "oidc-token -f",
    );
    row(
        "dashboard first frame, 1,000 accounts",
        Some(frames.0),
        Some(frames.1),
        "a program printing the marker",
    );
    row(
        "device login: approval to tokens (median of 5)",
        Some(delays[delays.len() / 2]),
        Some(interval),
        "the polling interval",
    );
    if !gh {
        println!("(gh not installed: apt-get install gh to compare with `gh auth token`)");
    }
    if oidc_env.is_none() {
        println!(
            "(oidc-agent not installed: apt-get install oidc-agent-cli to compare with `oidc-token`)"
        );
    }
    println!(
        "device login delays: {:?} ms (max {:.0} ms against a {} ms interval)",
        delays.iter().map(|d| ms(*d).round()).collect::<Vec<_>>(),
        ms(delays[delays.len() - 1]),
        ms(interval)
    );
}

/// Medians of the time to the first frame and of the marker program, interleaved.
fn interleaved_output(
    rounds: usize,
    tokdeck: &str,
    marker: &str,
    env: &[(String, String)],
    text: &str,
) -> (Duration, Duration) {
    let mut a = Vec::new();
    let mut b = Vec::new();
    for _ in 0..rounds {
        a.push(time_to_output(tokdeck, env, text));
        b.push(time_to_output(marker, env, text));
    }
    a.sort();
    b.sort();
    (a[rounds / 2], b[rounds / 2])
}
