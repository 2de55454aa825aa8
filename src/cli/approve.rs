//! `tokdeck approve`: the person's answers to the agent's waiting requests.

use super::args::ApproveArgs;
use super::error::CliError;
use std::path::PathBuf;

#[cfg(not(unix))]
pub fn run(_config: Option<PathBuf>, _args: ApproveArgs) -> Result<(), CliError> {
    Err(CliError::Usage(
        "the agent runs on Linux and macOS only; on Windows no request waits".into(),
    ))
}

#[cfg(unix)]
pub fn run(config: Option<PathBuf>, args: ApproveArgs) -> Result<(), CliError> {
    use crate::agent::protocol::{Answer, Done, Pending, Request};
    use std::io::IsTerminal;
    let paths = crate::config::Paths::resolve(config.as_deref())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let mut client = super::agent::running(&paths)?;
    if let (Some(id), Some(answer)) = (args.id, args.answer.as_deref()) {
        let answer = Answer::parse(answer).unwrap_or(Answer::Deny);
        client
            .call::<Done>(&Request::Decide { id, answer })
            .map_err(CliError::Agent)?;
        say!("tokdeck approve: request {id}: {}", answer.key());
        return Ok(());
    }
    let pending: Pending = client.call(&Request::Pending).map_err(CliError::Agent)?;
    let interactive = std::io::stdin().is_terminal() && args.id.is_none();
    if args.list || !interactive {
        if args.json {
            for request in &pending.requests {
                super::output::line(&serde_json::to_string(request).unwrap_or_default())?;
            }
            return Ok(());
        }
        if pending.requests.is_empty() {
            say!("tokdeck approve: no request waits");
        }
        for request in &pending.requests {
            super::output::line(&describe(request))?;
        }
        if !pending.requests.is_empty() && !args.list {
            say!(
                "answer with `tokdeck approve ID once|session|program|deny` (or run `tokdeck approve` in a terminal)"
            );
        }
        return Ok(());
    }
    ask_each(&mut client)
}

/// Asks in this terminal about each request as it comes, until Ctrl-C or end of input.
#[cfg(unix)]
fn ask_each(client: &mut crate::agent::client::Client) -> Result<(), CliError> {
    use crate::agent::protocol::{Answer, Done, Pending, Request};
    let mut asked = std::collections::HashSet::new();
    let mut said_waiting = false;
    loop {
        let pending: Pending = client.call(&Request::Pending).map_err(CliError::Agent)?;
        let Some(request) = pending
            .requests
            .into_iter()
            .find(|r| !asked.contains(&r.id))
        else {
            if !said_waiting {
                say!("tokdeck approve: waiting for requests (Ctrl-C to stop)");
                said_waiting = true;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
            continue;
        };
        said_waiting = false;
        asked.insert(request.id);
        super::output::line(&describe(&request))?;
        let answer = loop {
            say!(
                "allow? [o]nce, for this [s]ession, always for this [p]rogram, [d]eny, Enter to skip: "
            );
            let mut line = String::new();
            if std::io::stdin()
                .read_line(&mut line)
                .map_err(CliError::from)?
                == 0
            {
                return Ok(());
            }
            if line.trim().is_empty() {
                break None;
            }
            if let Some(answer) = Answer::parse(&line) {
                break Some(answer);
            }
        };
        let Some(answer) = answer else {
            continue;
        };
        match client.call::<Done>(&Request::Decide {
            id: request.id,
            answer,
        }) {
            Ok(Done {}) => say!("request {}: {}", request.id, answer.key()),
            Err(failure) => say!("request {}: {}", request.id, failure.message),
        }
    }
}

/// A waiting request as people read it: what, who, and each fact verified or claimed.
#[cfg(unix)]
fn describe(request: &crate::agent::protocol::Waiting) -> String {
    let left = (request.expires_at - chrono::Utc::now())
        .num_seconds()
        .max(0);
    let mut text = format!(
        "request {}: {}, asked by {} (denied in {left} s without an answer)",
        request.id,
        request.what(),
        request.caller
    );
    for line in request.fact_lines() {
        text.push_str(&format!("\n  {line}"));
    }
    crate::printable::printable_lines(&text).into_owned()
}
