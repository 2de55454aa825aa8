//! The measurements (Unix: they drive the Linux build and the test provider).

use crate::common;
use crate::common::Home;
use crate::common::provider::Provider;
use crate::keyring::KeyringSession;
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

/// Every measurement's label, written once: the runs are registered and the report
/// looks them up by these names, so a typo cannot make a row disappear.
mod label {
    pub const FLOOR: &str = "do-nothing binary";
    pub const FILE: &str = "token, cached, file store";
    pub const PRESET: &str = "token, cached, file store, preset provider";
    pub const DIRECTORIES: &str = "token, cached, no account named (directories)";
    pub const KEYRING: &str = "token, cached, keyring store";
    pub const SECRET_TOOL: &str = "secret-tool lookup (libsecret)";
    pub const AGENT_FILE: &str = "token, cached, through the agent (file store)";
    pub const AGENT_KEYRING: &str = "token, cached, through the agent (keyring store)";
    pub const GH: &str = "gh auth token";
    pub const OIDC_TOKEN: &str = "oidc-token (oidc-agent)";
    pub const ALT: &str = "token, cached, file store (TOKDECK_ALT_BIN)";
    pub const ALT_FLOOR: &str = "do-nothing binary built the same way (TOKDECK_ALT_NOOP)";
    pub const FORCED: &str = "forced refresh (tokdeck refresh)";
    pub const FORCED_KEYRING: &str = "forced refresh, keyring store";
    pub const RAW_REFRESH: &str = "the provider's own refresh, raw HTTP";
    pub const OIDC_FORCED: &str = "oidc-token -f";
    pub const FRAME: &str = "dashboard first frame, 1,000 accounts";
    pub const MARKER: &str = "a program printing the marker";
    pub const FRAME_ALT: &str = "dashboard first frame, 1,000 accounts (TOKDECK_ALT_BIN)";
    pub const DEVICE: &str = "device login: approval to tokens (median of 5)";
    pub const INTERVAL: &str = "the polling interval";
}

/// The medians measured, by label; a label that was never measured is reported missing.
#[derive(Default)]
struct Results(Vec<(&'static str, Duration)>);

impl Results {
    fn extend(&mut self, runs: &[Run], times: Vec<Duration>) {
        self.0.extend(runs.iter().map(|r| r.0).zip(times));
    }

    fn get(&self, name: &str) -> Option<Duration> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, d)| *d)
    }

    /// One line of the table, or why it is missing.
    fn row(&self, name: &'static str, base: &'static str) {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        match (self.get(name), self.get(base)) {
            (Some(value), Some(floor)) => println!(
                "{name:<50} {:>7.2}ms {:>8.2}ms {:>6.2}x   (baseline: {base}; {:+.2} ms)",
                ms(value),
                ms(floor),
                ms(value) / ms(floor),
                ms(value) - ms(floor)
            ),
            (value, _) => println!(
                "{name:<50} missing: {} not measured{}",
                if value.is_none() { name } else { base },
                missing_hint(if value.is_none() { name } else { base })
            ),
        }
    }
}

fn missing_hint(name: &str) -> &'static str {
    match name {
        label::GH => " (apt-get install gh)",
        label::OIDC_TOKEN | label::OIDC_FORCED => " (apt-get install oidc-agent-cli)",
        label::ALT | label::ALT_FLOOR | label::FRAME_ALT => {
            " (set TOKDECK_ALT_BIN and TOKDECK_ALT_NOOP)"
        }
        _ => "",
    }
}

/// What the measurements run against.
struct Lab<'a> {
    noop: std::path::PathBuf,
    file_home: Home,
    keyring_home: Home,
    keyring: &'a KeyringSession,
    in_project: std::path::PathBuf,
    gh_dir: Option<std::path::PathBuf>,
    oidc_env: Option<Vec<(String, String)>>,
}

impl Lab<'_> {
    fn oidc_token(&self, args: &[&str]) -> Command {
        let mut command = Command::new("oidc-token");
        command
            .args(args)
            .envs(self.oidc_env.iter().flatten().cloned());
        command
    }
}

pub fn main() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let provider = Provider::start(&["--access-ttl", "3600"]);
    let keyring = KeyringSession::start();
    let lab = lab(&scratch, &provider, &keyring);
    let mut results = Results::default();
    startup(&lab, &mut results);
    refresh(&lab, &provider, &mut results);
    first_frame(&scratch, &provider, &mut results);
    let delays = device_login(&mut results);
    if let Some(env) = &lab.oidc_env {
        let _ = Command::new("oidc-agent")
            .arg("-k")
            .envs(env.iter().cloned())
            .output();
    }

    println!(
        "{:<50} {:>9} {:>10} {:>7}",
        "measure (medians, interleaved runs)", "tokdeck", "baseline", "ratio"
    );
    for (name, base) in [
        (label::FILE, label::FLOOR),
        (label::PRESET, label::FLOOR),
        (label::DIRECTORIES, label::PRESET),
        (label::KEYRING, label::FLOOR),
        (label::KEYRING, label::SECRET_TOOL),
        (label::AGENT_FILE, label::FILE),
        (label::AGENT_KEYRING, label::KEYRING),
        (label::AGENT_FILE, label::FLOOR),
        (label::FILE, label::OIDC_TOKEN),
        (label::KEYRING, label::OIDC_TOKEN),
        (label::FILE, label::GH),
        (label::ALT, label::ALT_FLOOR),
        (label::FORCED, label::RAW_REFRESH),
        (label::FORCED_KEYRING, label::RAW_REFRESH),
        (label::FORCED, label::OIDC_FORCED),
        (label::FRAME, label::MARKER),
        (label::FRAME, label::FRAME_ALT),
        (label::FRAME_ALT, label::MARKER),
        (label::DEVICE, label::INTERVAL),
    ] {
        results.row(name, base);
    }
    let ms = |d: &Duration| (d.as_secs_f64() * 1e3).round();
    println!(
        "device login delays: {:?} ms against a 2000 ms interval",
        delays.iter().map(ms).collect::<Vec<_>>()
    );
}

/// Logged-in homes (file and keyring stores), and the peers when they are installed.
fn lab<'a>(
    scratch: &tempfile::TempDir,
    provider: &Provider,
    keyring: &'a KeyringSession,
) -> Lab<'a> {
    // Plus an account on a preset provider (what the dashboard's `A` writes), whose
    // config also reads the shipped preset; its `directories` choose it for `tokdeck
    // token` without an argument in `project`.
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
    for account in ["dev", "web-public", "preset-dev"] {
        file_home.ok(&["login", account]);
    }
    let mut keyring_home = Home::new(&provider.config());
    keyring_home.with_headless_user();
    for (k, v) in keyring.env() {
        keyring_home.set(&k, &v);
    }
    keyring_home.ok(&["login", "dev"]);
    Lab {
        noop: noop_binary(scratch.path()),
        file_home,
        keyring_home,
        keyring,
        in_project,
        gh_dir: gh_home(scratch.path()),
        oidc_env: oidc_agent(scratch.path(), provider),
    }
}

/// gh (Debian package `gh`) reading a stored token from a hosts.yml.
fn gh_home(scratch: &std::path::Path) -> Option<std::path::PathBuf> {
    Command::new("gh").arg("--version").output().ok()?;
    let dir = scratch.join("gh");
    std::fs::create_dir_all(&dir).expect("gh dir");
    std::fs::write(
        dir.join("hosts.yml"),
        "github.com:\n    oauth_token: gho_0123456789abcdefghijklmnopqrstuvwxyz\n    user: tokdeck\n",
    )
    .expect("hosts.yml");
    Some(dir)
}

/// oidc-agent (Debian `oidc-agent-cli`) logged in to the same provider, grant of its own.
fn oidc_agent(scratch: &std::path::Path, provider: &Provider) -> Option<Vec<(String, String)>> {
    Command::new("oidc-agent").arg("--version").output().ok()?;
    let lab = scratch.join("oidc-agent");
    succeed(
        Command::new(common::repo().join("scripts/oidc-agent-lab"))
            .arg(&provider.issuer)
            .arg(&lab),
    );
    Some(
        std::fs::read_to_string(lab.join("env.sh"))
            .expect("env.sh")
            .trim()
            .trim_start_matches("export ")
            .split(' ')
            .filter_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                Some((k.to_string(), v.trim_matches('\'').to_string()))
            })
            .collect(),
    )
}

/// An agent over `home` listening at `socket` (the commands that set
/// `TOKDECK_AGENT_SOCK` to it ask the agent; the others work directly).
fn agent(home: &Home, socket: &std::path::Path) -> std::process::Child {
    let log = socket.with_extension("log");
    let mut child = home
        .command(&["agent", "--foreground"])
        .env("TOKDECK_AGENT_SOCK", socket)
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("start the agent");
    let start = Instant::now();
    while std::os::unix::net::UnixStream::connect(socket).is_err() {
        if start.elapsed() > Duration::from_secs(10) || child.try_wait().ok().flatten().is_some() {
            panic!(
                "the agent never listened at {}: {}",
                socket.display(),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// 1. Start-up with a valid cached token, every process interleaved.
fn startup(lab: &Lab, results: &mut Results) {
    let service = format!("tokdeck:{}", lab.keyring_home.path().display());
    let sockets = tempfile::tempdir().expect("tempdir");
    // The agent listens only in a directory nobody else may enter.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(sockets.path(), std::fs::Permissions::from_mode(0o700))
        .expect("chmod");
    let (file_socket, keyring_socket) =
        (sockets.path().join("f.sock"), sockets.path().join("k.sock"));
    let mut agents = [
        agent(&lab.file_home, &file_socket),
        agent(&lab.keyring_home, &keyring_socket),
    ];
    let mut runs: Vec<Run> = vec![
        (
            label::FLOOR,
            Box::new(|| succeed(&mut Command::new(&lab.noop))),
        ),
        (
            label::FILE,
            Box::new(|| succeed(&mut lab.file_home.command(&["token", "dev"]))),
        ),
        (
            label::PRESET,
            Box::new(|| succeed(&mut lab.file_home.command(&["token", "preset-dev"]))),
        ),
        (
            label::DIRECTORIES,
            Box::new(|| {
                succeed(
                    lab.file_home
                        .command(&["token"])
                        .current_dir(&lab.in_project)
                        .env("PWD", &lab.in_project),
                )
            }),
        ),
        (
            label::KEYRING,
            Box::new(|| succeed(&mut lab.keyring_home.command(&["token", "dev"]))),
        ),
        (
            label::AGENT_FILE,
            Box::new(|| {
                succeed(
                    lab.file_home
                        .command(&["token", "dev"])
                        .env("TOKDECK_AGENT_SOCK", &file_socket),
                )
            }),
        ),
        (
            label::AGENT_KEYRING,
            Box::new(|| {
                succeed(
                    lab.keyring_home
                        .command(&["token", "dev"])
                        .env("TOKDECK_AGENT_SOCK", &keyring_socket),
                )
            }),
        ),
        (
            label::SECRET_TOOL,
            Box::new(|| {
                succeed(
                    Command::new("secret-tool")
                        .args(["lookup", "service", &service, "username", "dev"])
                        .envs(lab.keyring.env()),
                )
            }),
        ),
    ];
    if let Some(dir) = &lab.gh_dir {
        runs.push((
            label::GH,
            Box::new(move || {
                succeed(
                    Command::new("gh")
                        .args(["auth", "token"])
                        .env("GH_CONFIG_DIR", dir),
                )
            }),
        ));
    }
    if lab.oidc_env.is_some() {
        runs.push((
            label::OIDC_TOKEN,
            Box::new(|| succeed(&mut lab.oidc_token(&["tokdeck"]))),
        ));
    }
    // Another build of tokdeck (for example scripts/build-static) and its own floor.
    if let (Some(alt), Some(alt_noop)) = (
        std::env::var_os("TOKDECK_ALT_BIN"),
        std::env::var_os("TOKDECK_ALT_NOOP"),
    ) {
        let like = lab.file_home.command(&["token", "dev"]);
        runs.push((
            label::ALT,
            Box::new(move || succeed(&mut command_with(&alt, &like))),
        ));
        runs.push((
            label::ALT_FLOOR,
            Box::new(move || succeed(&mut Command::new(&alt_noop))),
        ));
    }
    // Start-up times are short and noisy: three times the rounds.
    let times = interleaved(3 * RUNS, &mut runs);
    results.extend(&runs, times);
    drop(runs);
    for agent in &mut agents {
        let _ = agent.kill();
        let _ = agent.wait();
    }
}

/// 2. A forced refresh, beside the provider's own time for the same refresh (raw HTTP
///    on the `web-public` grant: same client, same scopes) and `oidc-token -f`.
fn refresh(lab: &Lab, provider: &Provider, results: &mut Results) {
    let mut refresh_token = lab.file_home.record("web-public")["tokens"]["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_string();
    let token_url = format!("{}/token", provider.issuer);
    let mut runs: Vec<Run> = vec![
        (
            label::FORCED,
            Box::new(|| succeed(&mut lab.file_home.command(&["refresh", "dev"]))),
        ),
        (
            label::FORCED_KEYRING,
            Box::new(|| succeed(&mut lab.keyring_home.command(&["refresh", "dev"]))),
        ),
        (
            label::RAW_REFRESH,
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
    if lab.oidc_env.is_some() {
        runs.push((
            label::OIDC_FORCED,
            Box::new(|| succeed(&mut lab.oidc_token(&["-f", "tokdeck"]))),
        ));
    }
    let times = interleaved(RUNS / 2, &mut runs);
    results.extend(&runs, times);
}

/// 3. The dashboard's first frame with 1,000 accounts, from process start.
fn first_frame(scratch: &tempfile::TempDir, provider: &Provider, results: &mut Results) {
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
    let tokdeck = env!("CARGO_BIN_EXE_tokdeck").to_string();
    let marker = marker.display().to_string();
    // Another build (the last main, say) beside this one, in the same rounds.
    let alt = std::env::var("TOKDECK_ALT_BIN").ok();
    let mut programs = vec![(label::FRAME, tokdeck), (label::MARKER, marker)];
    if let Some(alt) = alt {
        programs.push((label::FRAME_ALT, alt));
    }
    // Interleaved too; the time ends when the marker is on the screen (quitting is not timed).
    for (name, median) in interleaved_output(15, &programs, &env, &accounts) {
        results.0.push((name, median));
    }
}

/// 4. Device login: approval (the headless user's browser exits) to tokens held (login
///    exits), five times; returns the delays.
fn device_login(results: &mut Results) -> Vec<Duration> {
    let interval = Duration::from_secs(2);
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
    results.0.push((label::DEVICE, delays[delays.len() / 2]));
    results.0.push((label::INTERVAL, interval));
    delays
}

/// The median time to `text` on the screen of each program, run in turn, `rounds` times.
fn interleaved_output(
    rounds: usize,
    programs: &[(&'static str, String)],
    env: &[(String, String)],
    text: &str,
) -> Vec<(&'static str, Duration)> {
    let mut times = vec![Vec::new(); programs.len()];
    for _ in 0..rounds {
        for ((_, program), times) in programs.iter().zip(&mut times) {
            times.push(time_to_output(program, env, text));
        }
    }
    programs
        .iter()
        .zip(times)
        .map(|((name, _), mut times)| {
            times.sort();
            (*name, times[rounds / 2])
        })
        .collect()
}
