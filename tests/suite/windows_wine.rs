//! tokdeck.exe, the Windows build, under Wine against the real provider on loopback: the
//! Credential Manager as the store (records larger than its 2560-byte entries included),
//! the file store under %APPDATA%, the refresh worker in its own process group, the
//! cross-process lock, and `exec`. Run by scripts/test (see common/wine.rs).

use crate::common;
use common::provider::Provider;
use common::wine::{Wine, windows_path};
use common::{Home, Run};

/// The Credential Manager's name for an account's entry in `home` (`\` written `_`).
fn entry(home: &Home, account: &str) -> String {
    format!(
        "{account}.tokdeck:{}",
        windows_path(home.path()).replace('\\', "_")
    )
}

/// The claims of a JWT, as the Linux build decodes them.
fn claims(home: &Home, token: &str) -> serde_json::Value {
    let out = home.ok(&["decode", token.trim()]).stdout;
    serde_json::from_str::<serde_json::Value>(&out).expect("decode JSON")["claims"].clone()
}

fn keyring_home(config: &str) -> Home {
    let mut home = Home::new(config);
    home.unset("TOKDECK_STORE");
    home.with_headless_user();
    home
}

#[test]
#[ignore = "needs Wine and tokdeck.exe: scripts/test runs it"]
fn device_login_token_refresh_list_and_logout_in_the_credential_manager() {
    let wine = Wine::get();
    let provider = Provider::start(&[]);
    let home = keyring_home(&provider.config());
    let login = wine.ok(&home, &["login", "dev"]);
    assert!(
        login
            .stderr
            .contains("Logged in to 'dev' as alice@example.test"),
        "{login}"
    );
    assert!(
        !home.path().join("tokens").exists(),
        "tokens went to files, not to the Credential Manager"
    );
    assert!(
        wine.has_credential(&entry(&home, "dev"), true),
        "{:?}",
        wine.credentials()
    );

    let token = wine.ok(&home, &["token", "dev"]).stdout;
    let claims = claims(&home, &token);
    assert_eq!(
        (claims["iss"].as_str(), claims["sub"].as_str()),
        (Some(provider.issuer.as_str()), Some("alice"))
    );
    let list = wine.ok(&home, &["list"]).stdout;
    let row = list
        .lines()
        .find(|l| l.starts_with("dev "))
        .unwrap_or_default();
    assert!(
        row.contains("alice@example.test") && row.contains("valid"),
        "{list}"
    );

    let refresh = wine.ok(&home, &["refresh", "dev"]);
    assert!(refresh.stderr.contains("Refreshed 'dev'"), "{refresh}");
    let refreshed = wine.ok(&home, &["token", "dev"]).stdout;
    assert_ne!(refreshed, token, "refresh gave the same access token");

    wine.ok(&home, &["logout", "dev"]);
    assert!(
        wine.has_credential(&entry(&home, "dev"), false),
        "the entry outlived the logout"
    );
    let after = wine.run(&home, &["token", "dev"]);
    assert_ne!(after.code, 0, "{after}");
    assert!(after.stderr.contains("tokdeck login dev"), "{after}");
}

/// An account with DPoP and two APIs: its record is larger than one credential holds.
#[test]
#[ignore = "needs Wine and tokdeck.exe: scripts/test runs it"]
fn a_record_over_2560_bytes_is_kept_in_parts_of_the_credential_manager() {
    let wine = Wine::get();
    let provider = Provider::start(&[]);
    let (api, reports) = ("https://api.tokdeck.test", "https://reports.tokdeck.test");
    let home = keyring_home(&format!(
        "{}\n[accounts.big]\nprovider = \"public\"\ndpop = true\nscopes = [\"openid\", \"profile\", \"email\", \"offline_access\", \"api:read\", \"reports:read\"]\nresources = [\"{api}\", \"{reports}\"]\n",
        provider.config()
    ));
    wine.ok(&home, &["login", "big"]);
    let own = wine.ok(&home, &["token", "big"]).stdout;
    let for_reports = wine
        .ok(&home, &["token", "big", "--resource", reports])
        .stdout;
    assert_ne!(own, for_reports);
    let suffix = entry(&home, "");
    let ours = || -> Vec<String> {
        wine.credentials()
            .into_iter()
            .filter(|c| c.starts_with("big") && c.ends_with(&suffix))
            .collect()
    };
    let parts: Vec<String> = ours()
        .into_iter()
        .filter(|c| c.starts_with("big#"))
        .collect();
    assert!(
        parts.len() >= 2,
        "a record this size is kept in parts: {:?}",
        wine.credentials()
    );

    // Read back whole by new processes, refreshed, and written again in parts.
    assert_eq!(wine.ok(&home, &["token", "big"]).stdout, own);
    assert_eq!(
        wine.ok(&home, &["token", "big", "--resource", reports])
            .stdout,
        for_reports
    );
    wine.ok(&home, &["refresh", "big"]);
    let refreshed = wine.ok(&home, &["token", "big"]).stdout;
    assert_ne!(refreshed, own);
    assert!(
        claims(&home, &refreshed)["cnf"]["jkt"].is_string(),
        "DPoP-bound"
    );

    wine.ok(&home, &["logout", "big"]);
    assert!(ours().is_empty(), "left after logout: {:?}", ours());
}

/// Without TOKDECK_HOME: the config under %APPDATA% (Roaming), the file store beside it.
#[test]
#[ignore = "needs Wine and tokdeck.exe: scripts/test runs it"]
fn the_platform_directories_are_under_appdata() {
    let wine = Wine::get();
    let provider = Provider::start(&[]);
    let none = Run::from(wine.bare(&["list"]).output().expect("wine"));
    let config = none
        .stderr
        .split("no config file at '")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("{none}"))
        .to_string();
    assert!(
        config.ends_with(r"\AppData\Roaming\tokdeck\tokdeck\config\config.toml"),
        "{config}"
    );
    let config_file = wine.unix_path(&config);
    let root = config_file
        .ancestors()
        .nth(3)
        .expect("tokdeck's folder")
        .to_path_buf();
    struct Cleanup(std::path::PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _cleanup = Cleanup(root.clone());
    std::fs::create_dir_all(config_file.parent().expect("dir")).expect("mkdir");
    // The store in the config, not in TOKDECK_STORE: setup then has nothing to carry.
    std::fs::write(
        &config_file,
        format!("store = \"file\"\n{}", provider.config()),
    )
    .expect("config");

    let mut login = wine.bare(&["login", "dev"]);
    let mut browser = Home::new("");
    browser.with_headless_user();
    for (k, v) in &browser.env {
        login.env(k, v);
    }
    let run = Run::from(login.env("TOKDECK_STORE", "file").output().expect("wine"));
    assert_eq!(run.code, 0, "{run}");
    let tokens = root.join(r"tokdeck/data/tokens/dev.json");
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&tokens)
            .unwrap_or_else(|e| panic!("no token file at {}: {e}\n{run}", tokens.display())),
    )
    .expect("record");
    let token = Run::from(
        wine.bare(&["token", "dev"])
            .env("TOKDECK_STORE", "file")
            .output()
            .expect("wine"),
    );
    assert_eq!(token.code, 0, "{token}");
    assert_eq!(token.stdout.trim(), record["tokens"]["access_token"]);

    // With no config or home of its own to carry, Docker's helper is tokdeck.exe itself
    // under the name Docker runs: a hard link beside it.
    let bin = tempfile::tempdir().expect("bin");
    let exe = bin.path().join("tokdeck.exe");
    std::fs::copy(std::env::var_os("TOKDECK_WINE_EXE").expect("exe"), &exe).expect("copy");
    let docker = tempfile::tempdir().expect("docker");
    let setup = Run::from(
        wine.with_exe(&exe)
            .bare(&["setup", "docker", "dev", "registry.tokdeck.test"])
            .env("DOCKER_CONFIG", windows_path(docker.path()))
            .output()
            .expect("wine"),
    );
    assert_eq!(setup.code, 0, "{setup}");
    let helper = bin.path().join("docker-credential-tokdeck.exe");
    assert!(helper.exists() && !bin.path().join("docker-credential-tokdeck.cmd").exists());
    let answer = helper_get(&wine, &helper);
    assert_eq!(
        answer["Secret"], record["tokens"]["access_token"],
        "{answer}"
    );
}

/// Processes that all want a fresher token than they have: each starts the refresh
/// worker (`tokdeck.exe __refresh`, a new process group), and the workers take turns
/// under the account's lock file; no refresh token is spent twice.
#[test]
#[ignore = "needs Wine and tokdeck.exe: scripts/test runs it"]
fn refresh_workers_of_several_processes_take_turns_under_the_lock() {
    let wine = Wine::get();
    let provider = Provider::start(&["--access-ttl", "4"]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    wine.ok(&home, &["login", "dev"]);
    let workers: Vec<_> = (0..4)
        .map(|i| {
            let args: &[&str] = if i % 2 == 0 {
                &["refresh", "dev"]
            } else {
                &["token", "dev", "--min-valid", "3600"]
            };
            let mut command = wine.command(&home, args);
            let wine = Wine::get();
            std::thread::spawn(move || {
                (0..3)
                    .map(|_| {
                        wine.retrying_silent(|| Run::from(command.output().expect("run")), args)
                    })
                    .filter(|run| run.code != 0)
                    .map(|run| run.to_string())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let failures: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("join"))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(provider.log_count("invalid_grant"), 0, "{}", provider.log());
    assert_eq!(provider.log_count("grant.revoked"), 0, "{}", provider.log());
    wine.ok(&home, &["refresh", "dev"]);
    let refresh_token = home.record("dev")["tokens"]["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(provider.introspect(&refresh_token)["active"], true);
}

/// `exec` on Windows has no `execvp`: it runs the command, waits, and exits with its
/// status; the token is in the command's environment only.
#[test]
#[ignore = "needs Wine and tokdeck.exe: scripts/test runs it"]
fn exec_runs_the_command_and_exits_with_its_status() {
    let wine = Wine::get();
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    wine.ok(&home, &["login", "dev"]);
    let token = wine.ok(&home, &["token", "dev"]).stdout;
    let run = wine.run(
        &home,
        &[
            "exec",
            "dev",
            "--",
            "cmd",
            "/c",
            "echo %ACCESS_TOKEN%& exit 7",
        ],
    );
    assert_eq!(run.code, 7, "{run}");
    assert_eq!(run.stdout.trim(), token.trim(), "{run}");
}

/// `setup docker` on Windows: with a home of its own the helper is a `.cmd` that runs
/// tokdeck.exe with it; without, a hard link (or copy) named
/// `docker-credential-tokdeck.exe`. Both answer the credential-helpers protocol as
/// Docker runs them (cmd finds the `.cmd` through PATHEXT).
#[test]
#[ignore = "needs Wine and tokdeck.exe: scripts/test runs it"]
fn the_docker_helper_is_a_cmd_script_or_an_exe_link() {
    let wine = Wine::get();
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    // tokdeck.exe in a folder of the test's own: setup puts the helper beside it.
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let exe = bin.join("tokdeck.exe");
    std::fs::copy(std::env::var_os("TOKDECK_WINE_EXE").expect("exe"), &exe).expect("copy exe");
    let wine = wine.with_exe(&exe);
    home.set("DOCKER_CONFIG", &windows_path(&home.path().join("docker")));
    wine.ok(&home, &["login", "dev"]);
    let token = wine.ok(&home, &["token", "dev"]).stdout;
    let setup = wine.ok(&home, &["setup", "docker", "dev", "registry.tokdeck.test"]);
    let script = bin.join("docker-credential-tokdeck.cmd");
    assert!(script.exists(), "{setup}");
    let text = std::fs::read_to_string(&script).expect("script");
    assert!(text.contains("set \"TOKDECK_HOME="), "{text}");

    let answer = helper_get(&wine, &script);
    // The script carries TOKDECK_HOME itself: Docker passes no environment of ours.
    assert_eq!(answer["Secret"].as_str(), Some(token.trim()), "{answer}");
    assert_eq!(answer["ServerURL"], "registry.tokdeck.test");

    // --remove takes the helper away again.
    wine.ok(
        &home,
        &[
            "setup",
            "docker",
            "dev",
            "registry.tokdeck.test",
            "--remove",
        ],
    );
    assert!(!script.exists(), "the script outlived --remove");
}

/// What the Docker helper at `helper` answers for registry.tokdeck.test, run by `cmd`
/// as Docker would, with none of tokdeck's variables.
fn helper_get(wine: &Wine, helper: &std::path::Path) -> serde_json::Value {
    use std::io::Write;
    let mut child = wine
        .raw(&["cmd", "/c", &windows_path(helper), "get"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("helper");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"registry.tokdeck.test\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}
