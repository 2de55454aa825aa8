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

fn median(mut run: impl FnMut()) -> Duration {
    for _ in 0..3 {
        run();
    }
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

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
            .args(["-C", "opt-level=3", "-C", "codegen-units=1", "-o"])
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

fn median_of(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let noop = noop_binary(scratch.path());
    let provider = Provider::start(&["--access-ttl", "3600"]);

    let mut file_home = Home::new(&provider.config());
    file_home.with_headless_user();
    file_home.ok(&["login", "dev"]);
    file_home.ok(&["login", "web-public"]);

    let keyring = KeyringSession::start();
    let mut keyring_home = Home::new(&provider.config());
    keyring_home.with_headless_user();
    for (k, v) in keyring.env() {
        keyring_home.set(&k, &v);
    }
    keyring_home.ok(&["login", "dev"]);

    let floor = median(|| succeed(&mut Command::new(&noop)));
    let cached_file = median(|| succeed(&mut file_home.command(&["token", "dev"])));
    // Another build of tokdeck to compare, for example a non-PIE one (BENCHMARKS.md).
    let alternative = std::env::var_os("TOKDECK_ALT_BIN").map(|exe| {
        let noop_alt = std::env::var_os("TOKDECK_ALT_NOOP").unwrap_or_else(|| noop.clone().into());
        let cached = median(|| {
            let mut command = file_home.command(&["token", "dev"]);
            let mut alt = Command::new(&exe);
            alt.args(command.get_args());
            alt.envs(
                command
                    .get_envs()
                    .filter_map(|(k, v)| Some((k.to_os_string(), v?.to_os_string()))),
            );
            command = alt;
            succeed(&mut command)
        });
        (cached, median(|| succeed(&mut Command::new(&noop_alt))))
    });
    let cached_keyring = median(|| succeed(&mut keyring_home.command(&["token", "dev"])));
    // The Secret Service's own floor: libsecret's `secret-tool` reading the same entry.
    let secret_tool = median(|| {
        succeed(
            Command::new("secret-tool")
                .args(["lookup", "service", "tokdeck", "username", "dev"])
                .envs(keyring.env()),
        )
    });
    let forced =
        median(|| succeed(&mut file_home.command(&["token", "dev", "--min-valid", "999999"])));

    // The provider's own time for the same refresh, on the `web-public` grant.
    let mut refresh_token = file_home.record("web-public")["tokens"]["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_string();
    let token_url = format!("{}/token", provider.issuer);
    let raw = median(|| {
        let body = format!(
            "grant_type=refresh_token&client_id=tokdeck-public&refresh_token={}",
            refresh_token
        );
        let (status, text) = common::http_post(&token_url, &body);
        assert_eq!(status, 200, "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        refresh_token = json["refresh_token"].as_str().expect("rotated").to_string();
    });

    // A peer reading a stored token: `gh auth token` (Debian package `gh`) with a hosts.yml.
    let gh = Command::new("gh").arg("--version").output().is_ok().then(|| {
        let dir = scratch.path().join("gh");
        std::fs::create_dir_all(&dir).expect("gh dir");
        std::fs::write(
            dir.join("hosts.yml"),
            "github.com:\n    oauth_token: gho_0123456789abcdefghijklmnopqrstuvwxyz\n    user: tokdeck\n",
        )
        .expect("hosts.yml");
        median(|| succeed(Command::new("gh").args(["auth", "token"]).env("GH_CONFIG_DIR", &dir)))
    });

    // The dashboard's first frame with 1,000 accounts, from process start.
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
    let frame_runs = 15;
    let first_frame = median_of(
        (0..frame_runs)
            .map(|_| time_to_output(tokdeck, &env, &accounts))
            .collect(),
    );
    let marker_time = median_of(
        (0..frame_runs)
            .map(|_| time_to_output(&marker.display().to_string(), &env, &accounts))
            .collect(),
    );

    // Device login: approval (the headless user's browser exits) to tokens held (login exits).
    let device = Provider::start_plain(&["--access-ttl", "3600", "--device-interval", "2"]);
    let mut device_home = Home::new(&device.config());
    device_home.with_headless_user();
    let browser = device_home.path().join("browser-stamp.sh");
    let approvals = device_home.path().join("approvals");
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

    // oidc-agent (Debian `oidc-agent-cli`): `oidc-token` with a cached token, and `-f`.
    let oidc_agent = Command::new("oidc-agent")
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
            let env: Vec<(String, String)> = std::fs::read_to_string(lab.join("env.sh"))
                .expect("env.sh")
                .trim()
                .trim_start_matches("export ")
                .split(' ')
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    Some((k.to_string(), v.trim_matches('\'').to_string()))
                })
                .collect();
            let oidc_token = |args: &[&str]| {
                let mut command = Command::new("oidc-token");
                command.args(args).envs(env.iter().cloned());
                command
            };
            let cached = median(|| succeed(&mut oidc_token(&["tokdeck"])));
            let forced = median(|| succeed(&mut oidc_token(&["-f", "tokdeck"])));
                let _ = Command::new("oidc-agent")
                .arg("-k")
                .envs(env.iter().cloned())
                .output();
            (cached, forced)
        });

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{:<52} {:>9} {:>10} {:>7}",
        "measure (median of 40 runs)", "tokdeck", "baseline", "ratio"
    );
    let mut rows = vec![
        (
            "token, valid cached token, file store",
            cached_file,
            floor,
            "do-nothing binary",
        ),
        (
            "token, valid cached token, keyring store",
            cached_keyring,
            floor,
            "do-nothing binary",
        ),
        (
            "token, valid cached token, keyring store",
            cached_keyring,
            secret_tool,
            "secret-tool lookup",
        ),
        (
            "token --min-valid 999999 (forced refresh)",
            forced,
            raw,
            "provider's own refresh",
        ),
    ];
    match gh {
        Some(gh) => rows.push((
            "token, file store, against `gh auth token`",
            cached_file,
            gh,
            "gh auth token",
        )),
        None => println!("(gh not installed: apt-get install gh to compare with `gh auth token`)"),
    }
    if let Some((cached, floor)) = alternative {
        rows.push((
            "token, file store, TOKDECK_ALT_BIN",
            cached,
            floor,
            "TOKDECK_ALT_NOOP (or the do-nothing binary)",
        ));
    }
    match oidc_agent {
        Some((cached, forced_agent)) => {
            rows.push((
                "token, file store, against `oidc-token`",
                cached_file,
                cached,
                "oidc-token (oidc-agent)",
            ));
            rows.push((
                "forced refresh, against `oidc-token -f`",
                forced,
                forced_agent,
                "oidc-token -f (oidc-agent)",
            ));
        }
        None => println!(
            "(oidc-agent not installed: apt-get install oidc-agent-cli to compare with `oidc-token`)"
        ),
    }
    rows.push((
        "dashboard first frame, 1,000 accounts, from start",
        first_frame,
        marker_time,
        "a program printing the marker",
    ));
    rows.push((
        "device login: approval to tokens held (median of 5)",
        delays[delays.len() / 2],
        interval,
        "the polling interval",
    ));
    for (name, value, base, base_name) in rows {
        println!(
            "{name:<52} {:>7.2}ms {:>8.2}ms {:>6.2}x   (baseline: {base_name}; +{:.2} ms)",
            ms(value),
            ms(base),
            ms(value) / ms(base),
            ms(value) - ms(base)
        );
    }
    println!(
        "device login delays: {:?} ms (max {:.0} ms against a {} ms interval)",
        delays.iter().map(|d| ms(*d).round()).collect::<Vec<_>>(),
        ms(delays[delays.len() - 1]),
        ms(interval)
    );
}
