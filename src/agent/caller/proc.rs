//! Reading a process's facts from `/proc` (Linux): its `stat`, command line, and the
//! chain of its parents.

use std::path::Path;

/// The fields of `/proc/PID/stat` used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub ppid: u32,
    pub session: u32,
    pub tty: u32,
}

/// Reads `pid (comm) state ppid pgrp session tty_nr ...`; the name may hold spaces and
/// parentheses, so the fields are counted from the last `)`.
pub fn parse_stat(text: &str) -> Option<(String, Stat)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text.get(open + 1..close)?.to_string();
    let mut fields = text.get(close + 1..)?.split_whitespace();
    let _state = fields.next()?;
    let ppid = fields.next()?.parse().ok()?;
    let _pgrp = fields.next()?;
    let session = fields.next()?.parse().ok()?;
    let tty: i64 = fields.next()?.parse().ok()?;
    Some((
        name,
        Stat {
            ppid,
            session,
            tty: u32::try_from(tty).unwrap_or(0),
        },
    ))
}

/// A `/proc` file whole: they say size 0, so a read sized by the file's length (as
/// `fs::read` does, after a `statx`) goes in many small reads; these go in one or two.
pub(super) fn slurp(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(16 * 1024);
    std::fs::File::open(path)
        .ok()?
        .read_to_end(&mut bytes)
        .ok()?;
    Some(bytes)
}

fn slurp_text(path: &Path) -> Option<String> {
    slurp(path).map(|b| String::from_utf8_lossy(&b).into_owned())
}

pub(super) fn read_stat(path: &Path) -> Option<Stat> {
    parse_stat(&slurp_text(path)?).map(|(_, stat)| stat)
}

pub(super) fn read_cmdline(path: &Path, most: usize) -> Vec<String> {
    slurp(path)
        .map(|bytes| {
            bytes
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .take(most)
                .map(|a| String::from_utf8_lossy(a).chars().take(200).collect())
                .collect()
        })
        .unwrap_or_default()
}

/// Interpreters whose first argument names the program they run (`node …/codex`).
const INTERPRETERS: &[&str] = &["node", "bun", "deno", "python", "python3", "ruby", "perl"];

/// The caller's ancestors (pid, name, arguments) by name, up to the first process of the namespace. Only the
/// name (`stat`) is read of each, and the command line of an interpreter: every file
/// read here is on the path of every request (a new connection costs what this reads).
pub(super) fn ancestors(proc: &Path, mut pid: u32) -> Vec<(u32, String, Vec<String>)> {
    let mut chain = Vec::new();
    while pid > 1 && chain.len() < 32 {
        let dir = proc.join(pid.to_string());
        let Some((name, stat)) = slurp_text(&dir.join("stat")).and_then(|t| parse_stat(&t)) else {
            break;
        };
        let args = if INTERPRETERS.contains(&name.as_str()) {
            read_cmdline(&dir.join("cmdline"), 2)
        } else {
            Vec::new()
        };
        chain.push((pid, name, args));
        pid = stat.ppid;
    }
    chain
}
