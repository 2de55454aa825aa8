//! `tokdeck ssh [ssh options] HOST [COMMAND]`: the user's own ssh, with the agent
//! forwarded for that one connection (README, "Remote hosts").

use super::error::CliError;
use std::path::PathBuf;

#[cfg(not(unix))]
pub fn run(_config: Option<PathBuf>, _args: Vec<String>) -> Result<(), CliError> {
    Err(CliError::Usage(
        "tokdeck ssh forwards the agent, which runs on Linux and macOS only".into(),
    ))
}

#[cfg(unix)]
pub fn run(config: Option<PathBuf>, args: Vec<String>) -> Result<(), CliError> {
    use crate::agent::protocol::{Forwarding, Request};
    use crate::tools::ssh::Invocation;
    use std::io::{BufRead, IsTerminal, Write};
    let invocation = Invocation::read(&args).map_err(CliError::Usage)?;
    let paths = crate::config::Paths::resolve(config.as_deref())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    use crate::agent::socket::{AGENT_ENV, SOCK_ENV, Where, where_to_look};
    let mut agent = match where_to_look(&paths.data_dir) {
        Where::Off => {
            return Err(CliError::Usage(format!(
                "tokdeck ssh forwards the agent, and {AGENT_ENV}=off says not to use it: unset {AGENT_ENV}"
            )));
        }
        Where::Named(_) => super::agent::running(&paths).map_err(|e| {
            CliError::Failed(format!("tokdeck ssh forwards the agent named by {SOCK_ENV}: {e}"))
        })?,
        Where::Default(_) => super::agent::running(&paths).map_err(|_| {
            CliError::Failed(
                "tokdeck ssh forwards the agent, and none runs here: start it with `tokdeck agent`, then run this again".into(),
            )
        })?,
    };
    let host = invocation.host();
    // The connection that asked for the forward is its life: when this process ends,
    // however, the agent removes the listener and ends every connection through it.
    let forwarding: Forwarding = agent
        .call(&Request::Forward { host: host.clone() })
        .map_err(CliError::Agent)?;
    let random = ring::rand::generate::<[u8; 16]>(&ring::rand::SystemRandom::new())
        .map_err(|_| CliError::Failed("no randomness for the remote socket's name".into()))?
        .expose();
    let remote = format!(
        "{}{}.sock",
        crate::agent::socket::REMOTE_PREFIX,
        random
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let ssh_args =
        invocation.forwarding(&forwarding.socket, &remote, std::io::stdin().is_terminal());
    say!(
        "tokdeck: the agent is forwarded to {host} for this connection (accounts with forwardable = true; you are asked about each request)"
    );
    let mut child = std::process::Command::new("ssh")
        .args(&ssh_args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| CliError::Failed(format!("cannot run ssh: {e}")))?;
    // ssh's own messages pass through as they come; a refused forward is recognised.
    let stderr = child.stderr.take();
    let watcher = std::thread::spawn(move || {
        let mut refused = false;
        let Some(stderr) = stderr else {
            return refused;
        };
        let mut out = std::io::stderr();
        for line in std::io::BufReader::new(stderr)
            .split(b'\n')
            .map_while(Result::ok)
        {
            refused |= String::from_utf8_lossy(&line).contains("forwarding failed");
            let _ = out.write_all(&line);
            let _ = out.write_all(b"\n");
        }
        refused
    });
    let status = child
        .wait()
        .map_err(|e| CliError::Failed(format!("ssh: {e}")))?;
    let refused = watcher.join().unwrap_or(false);
    drop(agent);
    if refused {
        say!(
            "tokdeck: {host} did not take the forwarded socket: its sshd must allow Unix-socket forwarding (`AllowStreamLocalForwarding yes` in sshd_config, the default, not `no` or `local`), and `DisableForwarding` must be off"
        );
    }
    match status.code() {
        Some(0) => Ok(()),
        Some(code) => Err(CliError::Status(code)),
        None => Err(CliError::Status(super::error::exit::FAILURE)),
    }
}
