//! ssh's command line, as `tokdeck ssh` reads the user's and writes its own: where the
//! options end and the destination is, and the forward and remote command added.

use std::path::Path;

/// ssh's options that take a value (ssh(1), SYNOPSIS).
const WITH_VALUE: &str = "BbcDEeFIiJLlmOoPpQRSWw";

/// A user's ssh command line taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Everything before the destination, as given.
    pub options: Vec<String>,
    pub destination: String,
    /// The remote command's words (empty: a login shell).
    pub command: Vec<String>,
}

impl Invocation {
    /// Reads `[options] destination [command ...]` as ssh does.
    pub fn read(args: &[String]) -> Result<Self, String> {
        let mut options = Vec::new();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if arg == "--" {
                break;
            }
            if !arg.starts_with('-') || arg == "-" {
                return Ok(Self {
                    options,
                    destination: arg.clone(),
                    command: rest.cloned().collect(),
                });
            }
            options.push(arg.clone());
            // `-vp 2222`, `-p2222`: the first letter that takes a value takes the rest of
            // the word, or the next word.
            let letters: Vec<char> = arg.chars().skip(1).collect();
            if let Some(at) = letters.iter().position(|c| WITH_VALUE.contains(*c))
                && at + 1 == letters.len()
            {
                let value = rest
                    .next()
                    .ok_or_else(|| format!("ssh option -{} needs a value", letters[at]))?;
                options.push(value.clone());
            }
        }
        let mut rest = rest.cloned();
        let destination = rest
            .next()
            .ok_or("give the host: tokdeck ssh [ssh options] HOST [COMMAND]")?;
        Ok(Self {
            options,
            destination,
            command: rest.collect(),
        })
    }

    /// The host the destination names (`user@host`, `ssh://user@host:port`), as the
    /// forward is labelled for the person and the audit.
    pub fn host(&self) -> String {
        let d = self
            .destination
            .strip_prefix("ssh://")
            .unwrap_or(&self.destination);
        let d = d.rsplit_once('@').map_or(d, |(_, host)| host);
        let d = match d.strip_prefix('[') {
            Some(v6) => v6.split_once(']').map_or(v6, |(host, _)| host),
            None if self.destination.starts_with("ssh://") => {
                d.split_once(':').map_or(d, |(host, _)| host)
            }
            None => d,
        };
        d.trim_end_matches('/').to_string()
    }

    fn has_flag(&self, flag: char) -> bool {
        self.options
            .iter()
            .filter(|o| o.starts_with('-') && !o.starts_with("--"))
            .any(|o| {
                let letters: Vec<char> = o.chars().skip(1).collect();
                let until = letters
                    .iter()
                    .position(|c| WITH_VALUE.contains(*c))
                    .unwrap_or(letters.len());
                letters[..until].contains(&flag)
            })
    }

    /// ssh's arguments with the agent forwarded: `-R REMOTE:LOCAL` (refused connection
    /// if it cannot be set up), then the user's options, the destination, and the
    /// command run with `TOKDECK_AGENT_SOCK` set (under `sh`, whatever the remote login
    /// shell: `env` and `sh -c` are the same in all of them).
    pub fn forwarding(&self, local: &Path, remote: &str, terminal: bool) -> Vec<String> {
        let mut args: Vec<String> = [
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "StreamLocalBindUnlink=yes",
            "-R",
        ]
        .map(str::to_string)
        .to_vec();
        args.push(format!("{remote}:{}", local.display()));
        args.extend(self.options.iter().cloned());
        let no_command = self.has_flag('N');
        let login = self.command.is_empty();
        if login && terminal && !no_command && !self.has_flag('T') && !self.has_flag('t') {
            args.push("-t".into());
        }
        args.push(self.destination.clone());
        if !no_command {
            let script = if login {
                "exec \"${SHELL:-/bin/sh}\" -l".to_string()
            } else {
                self.command.join(" ")
            };
            args.push(format!(
                "env TOKDECK_AGENT_SOCK={remote} sh -c {}",
                quote(&script)
            ));
        }
        args
    }
}

/// `text` as one word for a POSIX shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(args: &[&str]) -> Invocation {
        Invocation::read(&args.iter().map(|a| (*a).to_string()).collect::<Vec<_>>()).expect("read")
    }

    #[test]
    fn options_with_values_are_skipped_to_the_destination() {
        let inv = read(&[
            "-p",
            "2222",
            "-i",
            "key",
            "-v",
            "me@build.example",
            "make",
            "-j4",
        ]);
        assert_eq!(inv.destination, "me@build.example");
        assert_eq!(inv.options, ["-p", "2222", "-i", "key", "-v"]);
        assert_eq!(inv.command, ["make", "-j4"]);
        assert_eq!(inv.host(), "build.example");
        let inv = read(&["-vp2222", "-o", "BatchMode=yes", "host"]);
        assert_eq!(inv.destination, "host");
        let inv = read(&["-vp", "2222", "host"]);
        assert_eq!(inv.destination, "host");
        let inv = read(&["-o", "X=1", "--", "ssh://me@[::1]:2222", "ls"]);
        assert_eq!(inv.host(), "::1");
        assert_eq!(read(&["ssh://me@box:22"]).host(), "box");
        assert!(Invocation::read(&["-p".to_string()]).is_err());
        assert!(Invocation::read(&["-v".to_string()]).is_err());
    }

    #[test]
    fn the_forward_comes_first_and_the_command_gets_the_socket() {
        let inv = read(&["-p", "22", "host", "echo", "it's"]);
        let args = inv.forwarding(Path::new("/run/a/f.sock"), "/tmp/tokdeck-ab.sock", true);
        assert_eq!(
            args,
            [
                "-o",
                "ExitOnForwardFailure=yes",
                "-o",
                "StreamLocalBindUnlink=yes",
                "-R",
                "/tmp/tokdeck-ab.sock:/run/a/f.sock",
                "-p",
                "22",
                "host",
                "env TOKDECK_AGENT_SOCK=/tmp/tokdeck-ab.sock sh -c 'echo it'\\''s'",
            ]
        );
        let login = read(&["host"]).forwarding(Path::new("/l"), "/tmp/tokdeck-x.sock", true);
        assert!(login.contains(&"-t".to_string()), "{login:?}");
        assert!(
            login
                .last()
                .is_some_and(|c| c.contains("exec \"${SHELL:-/bin/sh}\" -l"))
        );
        let quiet = read(&["-N", "host"]).forwarding(Path::new("/l"), "/tmp/tokdeck-x.sock", true);
        assert_eq!(quiet.last().map(String::as_str), Some("host"));
        assert!(!quiet.contains(&"-t".to_string()));
    }
}
