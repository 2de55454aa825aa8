//! Whole-process costs of `tokdeck token`, each beside a baseline from the same run:
//! - a valid cached token (file store, keyring store) against a do-nothing Rust binary;
//! - a forced refresh against the provider's own response time for the same refresh,
//!   measured with a minimal HTTP client on another grant.
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
    let src = dir.join("noop.rs");
    std::fs::write(&src, "fn main() {}\n").expect("write");
    let exe = dir.join("noop");
    succeed(
        Command::new("rustc")
            .args(["-C", "opt-level=3", "-C", "codegen-units=1", "-o"])
            .arg(&exe)
            .arg(&src),
    );
    exe
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
    let cached_keyring = median(|| succeed(&mut keyring_home.command(&["token", "dev"])));
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
    for (name, value, base, base_name) in rows {
        println!(
            "{name:<52} {:>7.2}ms {:>8.2}ms {:>6.2}x   (baseline: {base_name}; +{:.2} ms)",
            ms(value),
            ms(base),
            ms(value) / ms(base),
            ms(value) - ms(base)
        );
    }
}
