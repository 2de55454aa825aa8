//! `tokdeck ssh`: the agent forwarded to a real OpenSSH server on loopback; the "remote"
//! side runs with a home of its own, no config and no keyring.

#![cfg(unix)]

use crate::agent::{audit, logged_in, stored, waiting};
use crate::common;

use common::agent::Agent;
use common::provider::Provider;
use common::sshd::Sshd;
use common::{Home, Run};
use std::process::{Child, Stdio};

/// The remote side: a home with nothing in it, and the command run with it.
struct Remote {
    home: tempfile::TempDir,
}

impl Remote {
    fn new() -> Self {
        Self {
            home: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// `tokdeck ARGS` as the remote shell runs it.
    fn tokdeck(&self, args: &str) -> String {
        format!(
            "env -u TOKDECK_STORE HOME={h} TOKDECK_HOME={h} {} {args}",
            env!("CARGO_BIN_EXE_tokdeck"),
            h = self.home.path().display()
        )
    }

    /// Everything the remote side wrote.
    fn files(&self) -> String {
        fn walk(dir: &std::path::Path, out: &mut String) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    out.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
        }
        let mut out = String::new();
        walk(self.home.path(), &mut out);
        out
    }
}

fn forwarding(home: &Home, sshd: &Sshd, remote_command: &str) -> Child {
    let mut args = vec!["ssh".to_string()];
    args.extend(sshd.options());
    args.push(sshd.destination());
    args.push(remote_command.to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    home.command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tokdeck ssh")
}

fn finished(child: Child) -> Run {
    Run::from(child.wait_with_output().expect("wait"))
}

#[test]
fn a_remote_host_gets_tokens_through_tokdeck_ssh_and_never_a_refresh_token() {
    let sshd = Sshd::start("AllowStreamLocalForwarding yes");
    let provider = Provider::start(&[]);
    let home = logged_in(&provider, "\n[accounts.dev.agent]\nforwardable = true\n");
    let _agent = Agent::start(&home, &["--ask-timeout", "20s"]);
    let token = stored(&home, "dev");
    let refresh = home.record("dev")["tokens"]["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_string();
    let remote = Remote::new();
    let mut seen = String::new();

    // `which` there: where tokens come from, the forwardable accounts only.
    let run = finished(forwarding(&home, &sshd, &remote.tokdeck("which")));
    assert_eq!(run.code, 0, "{run}\n{}", sshd.log());
    assert!(
        run.stdout.contains("forwarded to this host as '127.0.0.1'"),
        "{run}"
    );
    assert!(
        run.stdout.contains("dev") && !run.stdout.contains("web-public"),
        "{run}"
    );
    let old_socket = run
        .stdout
        .split("agent at ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("the socket's path")
        .to_string();
    assert!(old_socket.starts_with("/tmp/tokdeck-"), "{old_socket}");
    seen.push_str(&format!("{run}"));

    // A token: asked about here, showing the host; approved, printed there.
    let asking = forwarding(&home, &sshd, &remote.tokdeck("token dev"));
    let request = waiting(&home, 1).remove(0);
    assert!(
        request["caller"]
            .as_str()
            .unwrap_or("")
            .starts_with("forwarded: 127.0.0.1"),
        "{request}"
    );
    home.ok(&["approve", &request["id"].to_string(), "once"]);
    let run = finished(asking);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout.trim(), token);
    seen.push_str(&format!("{run}"));

    // Denied: the remote command fails with the reason.
    let asking = forwarding(&home, &sshd, &remote.tokdeck("token dev"));
    let id = waiting(&home, 1)[0]["id"].to_string();
    home.ok(&["approve", &id, "deny"]);
    let run = finished(asking);
    assert_ne!(run.code, 0, "{run}");
    assert!(run.stderr.contains("denied"), "{run}");
    assert!(run.stdout.is_empty());
    seen.push_str(&format!("{run}"));

    // Not forwardable: refused at once, with what to change where.
    let run = finished(forwarding(
        &home,
        &sshd,
        &remote.tokdeck("token web-public"),
    ));
    assert_ne!(run.code, 0, "{run}");
    assert!(run.stderr.contains("forwardable = true"), "{run}");
    seen.push_str(&format!("{run}"));

    // A git clone there, the helper answered through the forward (approved for this
    // connection's session once; the clone asks twice at most).
    let root = tempfile::tempdir().expect("tempdir");
    let server = crate::tools::git_server(&provider, root.path());
    let alice = format!("{}/alice.git", server.url);
    home.ok(&["setup", "git", "dev", &alice]);
    let clone = format!(
        "cd {h} && git -c credential.helper= -c 'credential.helper=!{exe} git-credential' -c credential.useHttpPath=true clone -q {alice} a && cat a/README",
        h = remote.home.path().display(),
        exe = remote.tokdeck("")
    );
    let asking = forwarding(&home, &sshd, &clone);
    let id = waiting(&home, 1)[0]["id"].to_string();
    home.ok(&["approve", &id, "session"]);
    let run = finished(asking);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout, "alice.git\n");
    seen.push_str(&format!("{run}"));

    // The audit names the host; the listeners are gone with their ssh connections.
    let entries = audit(&home);
    let forwarded: Vec<_> = entries
        .iter()
        .filter(|e| e["class"] == "forwarded: 127.0.0.1")
        .collect();
    assert!(
        forwarded.iter().any(|e| e["decision"] == "granted"),
        "{entries:#?}"
    );
    assert!(
        forwarded.iter().any(|e| e["decision"] == "denied"),
        "{entries:#?}"
    );
    let left: Vec<_> = std::fs::read_dir(home.path().join("agent"))
        .expect("agent dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("forward-"))
        .collect();
    assert!(left.is_empty(), "listeners left: {left:?}");

    // After the connection, its socket there leads nowhere: plain ssh, no forward.
    let mut plain = std::process::Command::new("ssh");
    plain
        .args(sshd.options())
        .arg(sshd.destination())
        .arg(format!(
            "TOKDECK_AGENT_SOCK={old_socket} {}",
            remote.tokdeck("token dev")
        ));
    let run = Run::from(plain.output().expect("ssh"));
    assert_ne!(run.code, 0, "{run}");
    assert!(run.stderr.contains("no tokdeck agent answers"), "{run}");
    seen.push_str(&format!("{run}"));

    // Nothing the remote side received or wrote holds the refresh token.
    seen.push_str(&remote.files());
    assert!(seen.contains(&token), "the check would see a token");
    assert!(
        !seen.contains(&refresh),
        "a refresh token reached the remote side"
    );
    for socket in glob_tmp() {
        if std::os::unix::net::UnixStream::connect(&socket).is_err() {
            let _ = std::fs::remove_file(socket);
        }
    }
}

#[test]
fn an_sshd_that_refuses_socket_forwarding_is_named_with_the_setting() {
    let sshd = Sshd::start("AllowStreamLocalForwarding no");
    let provider = Provider::start(&[]);
    let home = logged_in(&provider, "\n[accounts.dev.agent]\nforwardable = true\n");
    let _agent = Agent::start(&home, &[]);
    let run = finished(forwarding(&home, &sshd, "true"));
    assert_eq!(run.code, 255, "{run}");
    assert!(run.stderr.contains("AllowStreamLocalForwarding"), "{run}");
    // Without an agent: said before ssh runs.
    drop(_agent);
    let run = finished(forwarding(&home, &sshd, "true"));
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("start it with `tokdeck agent`"),
        "{run}"
    );
}

/// The forwarded sockets sshd left in /tmp (it does not remove them); dead ones are
/// removed by the test.
fn glob_tmp() -> Vec<std::path::PathBuf> {
    std::fs::read_dir("/tmp")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy().starts_with("tokdeck-")
                    && n.to_string_lossy().ends_with(".sock")
            })
        })
        .collect()
}
