//! Tokens reaching the tools that use them, through the real binary and real clients:
//! `exec`, git's credential helper protocol, Docker's, kubeconfig.

mod common;

use common::Home;
use common::provider::Provider;
use std::process::Stdio;
use std::time::Duration;

#[test]
fn exec_puts_the_token_in_the_environment_only_and_passes_the_status_on() {
    let provider = Provider::start(&[]);
    let mut config = provider.config();
    config.push_str("env = [\"GITLAB_TOKEN\", \"CI_JOB_TOKEN\"]\n"); // on [accounts.svc]
    let home = Home::new(&config);
    let token = home.ok(&["token", "svc"]).stdout.trim().to_string();

    let run = home.ok(&[
        "exec",
        "svc",
        "--",
        "sh",
        "-c",
        "printf '%s %s %s' \"$GITLAB_TOKEN\" \"$CI_JOB_TOKEN\" \"$TOKDECK_ACCOUNT\"",
    ]);
    assert_eq!(
        run.stdout,
        format!("{token} {token} svc"),
        "the account's env: {run}"
    );
    let run = home.ok(&[
        "exec",
        "svc",
        "--env",
        "MY_TOKEN",
        "--",
        "sh",
        "-c",
        "printf '%s|%s' \"$MY_TOKEN\" \"${GITLAB_TOKEN:-unset}\"",
    ]);
    assert_eq!(run.stdout, format!("{token}|unset"), "--env wins: {run}");

    // The command's status is tokdeck's; a command that cannot start is 127.
    assert_eq!(
        home.run(&["exec", "svc", "--", "sh", "-c", "exit 7"]).code,
        7
    );
    let run = home.run(&["exec", "svc", "--", "no-such-program-here"]);
    assert_eq!(run.code, 127, "{run}");
    assert!(
        run.stderr.contains("cannot run 'no-such-program-here'"),
        "{run}"
    );
    // No usable token: exit 4, nothing started.
    let marker = home.path().join("started");
    let run = home.run(&["exec", "dev", "--", "touch", &marker.display().to_string()]);
    assert_eq!(run.code, 4, "{run}");
    assert!(!marker.exists(), "nothing was started");

    // The token is in the environment, not on any command line; a SIGTERM to the pid
    // tokdeck had reaches the command (it is the command).
    let mut child = home
        .command(&["exec", "svc", "--", "sleep", "30"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let cmdline = loop {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if cmdline.starts_with(b"sleep") || std::time::Instant::now() > deadline {
            break cmdline;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        cmdline.starts_with(b"sleep\x0030"),
        "{:?}",
        String::from_utf8_lossy(&cmdline)
    );
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    assert!(String::from_utf8_lossy(&environ).contains(&format!("GITLAB_TOKEN={token}")));
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    let status = child.wait().expect("wait");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(15),
        "ended by the forwarded SIGTERM: {status:?}"
    );
}
