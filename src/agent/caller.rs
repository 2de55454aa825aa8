//! Who is asking: what the kernel says about the process at the other end of the socket
//! (its uid and pid from `SO_PEERCRED`, then `/proc`), what it only claims (its
//! environment, its command line, a name it gives), and the kind of caller that makes it.
//!
//! A pid is read at `accept`; a process that exits and whose pid is reused before `/proc`
//! is read would lend its facts to another: the facts label a request for the person and
//! the audit, the uid check is what refuses.

mod proc;

pub use proc::{Stat, parse_stat};
use proc::{ancestors, read_cmdline, read_stat, slurp};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Environment variables coding agents set in the commands they run, and the agent each
/// names (README, "Agent"). The environment is the caller's claim: a marker makes a
/// caller ask the person, its absence proves nothing.
pub const MARKERS: &[(&str, &str)] = &[
    ("CLAUDECODE", "Claude Code"),
    ("CLAUDE_CODE_ENTRYPOINT", "Claude Code"),
    ("CODEX_SANDBOX", "Codex CLI"),
    ("CODEX_SANDBOX_NETWORK_DISABLED", "Codex CLI"),
    ("GEMINI_CLI", "Gemini CLI"),
    ("OPENCODE", "opencode"),
    ("CURSOR_AGENT", "Cursor Agent"),
    ("GOOSE_TERMINAL", "Goose"),
    ("CLINE_ACTIVE", "Cline"),
    ("AI_AGENT", "an AI agent"),
];

/// Program names of coding agents, looked for in the caller's ancestors (the process
/// name, and the first two words of the command line for agents started by `node`).
pub const AGENT_PROGRAMS: &[(&str, &str)] = &[
    ("claude", "Claude Code"),
    ("codex", "Codex CLI"),
    ("gemini", "Gemini CLI"),
    ("aider", "Aider"),
    ("goose", "Goose"),
    ("opencode", "opencode"),
    ("cursor-agent", "Cursor Agent"),
    ("amp", "Amp"),
    ("cline", "Cline"),
    ("crush", "Crush"),
    ("qwen", "Qwen Code"),
    ("copilot", "GitHub Copilot CLI"),
];

/// One fact about a caller, and whether the kernel said it or the caller did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub name: String,
    pub value: String,
    pub verified: bool,
}

/// A process above the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ancestor {
    pub pid: u32,
    /// The process name (the process can change its own: claimed).
    pub name: String,
    /// Its executable, as the kernel says.
    pub exe: Option<PathBuf>,
    /// The first two words of its command line (claimed).
    #[serde(default)]
    pub args: Vec<String>,
}

/// The caller's session: approvals "for this session" are kept for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Session {
    /// The session id (the session leader's pid: usually the terminal's shell).
    pub sid: u32,
    /// The controlling terminal's device number; `None`: no terminal.
    pub tty: Option<u32>,
}

impl Session {
    /// `pts/3` for a pseudo-terminal, else the device number.
    pub fn terminal(&self) -> Option<String> {
        let tty = self.tty?;
        let major = (tty >> 8) & 0xfff;
        let minor = (tty & 0xff) | ((tty >> 12) & 0xfff00);
        Some(if (136..=143).contains(&major) {
            format!("pts/{}", (major - 136) * 256 + minor)
        } else {
            format!("tty device {major}:{minor}")
        })
    }
}

/// What kind of caller it is, from its facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Class {
    /// A process of the user's own, in a terminal.
    Shell,
    /// A process of the user's own without a terminal (an editor, a script, a timer).
    Program,
    /// A coding agent or a command it runs (the marker or ancestor said).
    CodingAgent(String),
    /// A process in another PID namespace than the agent's.
    Container,
    /// A connection forwarded from another host (`tokdeck ssh HOST`).
    Forwarded(String),
}

impl Class {
    /// Whether a person sits behind it: only such callers may answer requests, unlock
    /// the agent or stop it.
    pub fn is_the_person(&self) -> bool {
        matches!(self, Self::Shell | Self::Program)
    }

    /// The kind without how it was found: what an approval is kept for (one coding
    /// agent's approval does not cover another, nor a container).
    pub fn key(&self) -> String {
        match self {
            Self::CodingAgent(name) => {
                format!("coding agent: {}", name.split(" (").next().unwrap_or(name))
            }
            other => other.label(),
        }
    }

    pub fn label(&self) -> String {
        match self {
            Self::Shell => "the user's shell".into(),
            Self::Program => "a program of the user's (no terminal)".into(),
            Self::CodingAgent(name) => format!("coding agent: {name}"),
            Self::Container => "a container (another PID namespace)".into(),
            Self::Forwarded(host) => format!("forwarded: {host}"),
        }
    }
}

/// Everything known of a caller.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// From `SO_PEERCRED` / `getpeereid` (verified).
    pub uid: u32,
    pub pid: Option<u32>,
    /// The rest read from `/proc` (Linux); absent elsewhere.
    pub exe: Option<PathBuf>,
    /// Claimed: a process can rewrite its own command line.
    #[serde(default)]
    pub cmdline: Vec<String>,
    pub cwd: Option<PathBuf>,
    /// The parent first, up to the first process of the namespace.
    #[serde(default)]
    pub ancestors: Vec<Ancestor>,
    pub session: Option<Session>,
    /// `Some(true)`: another PID namespace than the agent's (a container).
    pub other_pid_namespace: Option<bool>,
    /// Coding-agent markers found in its environment (names only, never values).
    #[serde(default)]
    pub markers: Vec<String>,
    /// The name it gave in `hello` (claimed).
    pub client: Option<String>,
    /// The host of a forwarded connection (`tokdeck ssh HOST`: the listener says it).
    pub forwarded: Option<String>,
    /// Which forward (one per `tokdeck ssh` connection) it came through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<u64>,
}

impl Caller {
    /// What the kernel says of process `pid` of user `uid`.
    pub fn of(uid: u32, pid: Option<u32>) -> Self {
        let mut caller = Self {
            uid,
            pid,
            ..Self::default()
        };
        if let Some(pid) = pid {
            caller.read_proc(Path::new("/proc"), pid);
        }
        caller
    }

    /// Fills in what `/proc` (or a copy of it under `proc`, in tests) says.
    pub fn read_proc(&mut self, proc: &Path, pid: u32) {
        let dir = proc.join(pid.to_string());
        self.exe = std::fs::read_link(dir.join("exe")).ok();
        self.cwd = std::fs::read_link(dir.join("cwd")).ok();
        self.cmdline = read_cmdline(&dir.join("cmdline"), 16);
        if let Some(stat) = read_stat(&dir.join("stat")) {
            self.session = Some(Session {
                sid: stat.session,
                tty: (stat.tty != 0).then_some(stat.tty),
            });
            self.ancestors = ancestors(proc, stat.ppid)
                .into_iter()
                .map(|(pid, name, args)| Ancestor {
                    pid,
                    name,
                    exe: None,
                    args,
                })
                .collect();
        }
        self.other_pid_namespace = match (
            std::fs::read_link(dir.join("ns/pid")),
            std::fs::read_link(proc.join("self/ns/pid")),
        ) {
            (Ok(theirs), Ok(ours)) => Some(theirs != ours),
            _ => None,
        };
        if let Some(environ) = slurp(&dir.join("environ")) {
            self.markers = markers_in(&environ);
        }
    }

    pub fn class(&self) -> Class {
        if let Some(host) = &self.forwarded {
            return Class::Forwarded(host.clone());
        }
        if self.other_pid_namespace == Some(true) {
            return Class::Container;
        }
        if let Some(name) = self.coding_agent() {
            return Class::CodingAgent(name);
        }
        match self.session.and_then(|s| s.tty) {
            Some(_) => Class::Shell,
            None => Class::Program,
        }
    }

    /// The coding agent the markers or an ancestor name, with how it was found.
    fn coding_agent(&self) -> Option<String> {
        if let Some(marker) = self.markers.first() {
            let name = MARKERS
                .iter()
                .find(|(m, _)| m == marker)
                .map_or("a coding agent", |(_, n)| n);
            return Some(format!("{name} ({marker} in its environment)"));
        }
        let own = Ancestor {
            pid: self.pid.unwrap_or(0),
            name: String::new(),
            exe: self.exe.clone(),
            args: self.cmdline.iter().take(2).cloned().collect(),
        };
        std::iter::once(&own)
            .chain(&self.ancestors)
            .find_map(|a| agent_program(a).map(|name| format!("{name} (process {})", a.pid)))
    }

    /// The facts, each marked verified or claimed, for the person and the audit.
    pub fn facts(&self) -> Vec<Fact> {
        let mut facts = Vec::new();
        let mut fact = |name: &str, value: String, verified: bool| {
            facts.push(Fact {
                name: name.into(),
                value: crate::printable::printable(&value).into_owned(),
                verified,
            });
        };
        fact("uid", self.uid.to_string(), true);
        if let Some(host) = &self.forwarded {
            fact("forwarded from", host.clone(), true);
        }
        if let Some(pid) = self.pid {
            fact("pid", pid.to_string(), true);
        }
        if let Some(exe) = &self.exe {
            fact("executable", exe.display().to_string(), true);
        }
        if let Some(cwd) = &self.cwd {
            fact("directory", cwd.display().to_string(), true);
        }
        if let Some(session) = self.session {
            let terminal = session.terminal().unwrap_or_else(|| "no terminal".into());
            fact("session", format!("{} ({terminal})", session.sid), true);
        }
        if let Some(other) = self.other_pid_namespace {
            fact(
                "PID namespace",
                if other {
                    "another (a container)"
                } else {
                    "the agent's"
                }
                .into(),
                true,
            );
        }
        if !self.ancestors.is_empty() {
            let chain = self
                .ancestors
                .iter()
                .map(|a| format!("{} {}", a.pid, a.name))
                .collect::<Vec<_>>()
                .join(" < ");
            fact("parents", chain, false);
        }
        if !self.cmdline.is_empty() {
            fact("command", self.cmdline.join(" "), false);
        }
        if !self.markers.is_empty() {
            fact("environment", self.markers.join(", "), false);
        }
        if let Some(client) = &self.client {
            fact("says it is", client.clone(), false);
        }
        facts
    }

    /// One line: the class, the program and where it runs.
    pub fn summary(&self) -> String {
        let line = format!("{}: {}", self.class().label(), self.program());
        crate::printable::printable(&line).into_owned()
    }

    /// The program and where it runs (`/usr/bin/curl (pid 42) on pts/1 in /src`).
    pub fn program(&self) -> String {
        let program = self
            .exe
            .as_deref()
            .map(|e| e.display().to_string())
            .or_else(|| self.cmdline.first().cloned())
            .unwrap_or_else(|| "an unknown program".into());
        let mut line = program;
        if let Some(pid) = self.pid {
            line.push_str(&format!(" (pid {pid})"));
        }
        if let Some(terminal) = self.session.and_then(|s| s.terminal()) {
            line.push_str(&format!(" on {terminal}"));
        }
        if let Some(cwd) = &self.cwd {
            line.push_str(&format!(" in {}", cwd.display()));
        }
        crate::printable::printable(&line).into_owned()
    }
}

fn agent_program(ancestor: &Ancestor) -> Option<&'static str> {
    let base = |text: &str| {
        Path::new(text)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut names = vec![ancestor.name.clone()];
    names.extend(ancestor.exe.iter().map(|e| base(&e.to_string_lossy())));
    names.extend(ancestor.args.iter().map(|a| base(a)));
    AGENT_PROGRAMS
        .iter()
        .find(|(program, _)| names.iter().any(|n| n == program))
        .map(|(_, name)| *name)
}

/// The coding-agent markers set in an environment block (`NAME=value\0...`), by name.
pub fn markers_in(environ: &[u8]) -> Vec<String> {
    environ
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let name = entry.split(|b| *b == b'=').next()?;
            let value = entry.get(name.len() + 1..).unwrap_or_default();
            MARKERS
                .iter()
                .find(|(m, _)| m.as_bytes() == name && !value.is_empty() && value != b"0")
                .map(|(m, _)| (*m).to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests;
