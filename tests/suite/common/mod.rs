//! Shared test harness: a tokdeck home, the real binary, the real provider, a stub server.

#[cfg(unix)]
pub mod agent;
pub mod dot;
pub mod git_server;
pub mod provider;
#[cfg(unix)]
pub mod sshd;
pub mod stub;
pub mod tmux;
pub mod wine;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A private `TOKDECK_HOME` with a config file, and a way to run `tokdeck` in it.
pub struct Home {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Home {
    pub fn new(config: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.toml"), config).expect("write config");
        // As tokdeck writes it: a config that holds a client_secret and others can read
        // draws a warning on every command.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                dir.path().join("config.toml"),
                std::fs::Permissions::from_mode(0o600),
            )
            .expect("chmod config");
        }
        let mut home = Self {
            dir,
            env: Vec::new(),
        };
        home.set("TOKDECK_STORE", "file");
        home
    }

    pub fn unset(&mut self, key: &str) {
        self.env.retain(|(k, _)| k != key);
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    /// Makes the headless user (tests/provider/user.js) the browser; its output goes to browser.log.
    pub fn with_headless_user(&mut self) {
        let script = self.path().join("browser.sh");
        let user = repo().join("tests/provider/user.js");
        let log = self.path().join("browser.log");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nexec node '{}' \"$@\" >>'{}' 2>&1\n",
                user.display(),
                log.display()
            ),
        )
        .expect("write browser script");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        self.set("BROWSER", &script.display().to_string());
    }

    pub fn browser_log(&self) -> String {
        std::fs::read_to_string(self.path().join("browser.log")).unwrap_or_default()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokdeck"));
        cmd.args(args)
            .env("TOKDECK_HOME", self.path())
            .env_remove("BROWSER")
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// `script` run by `shell -c` with this home's environment and `tokdeck` on `PATH`,
    /// as a user's shell would run it.
    pub fn shell(&self, shell: &str, script: &str) -> Run {
        let bin = Path::new(env!("CARGO_BIN_EXE_tokdeck"));
        let path = format!(
            "{}:{}",
            bin.parent().expect("bin dir").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new(shell);
        cmd.args(["-c", script])
            .env("PATH", path)
            .env("TOKDECK_HOME", self.path())
            .env_remove("BROWSER")
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().expect("run the shell"))
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let output = self.command(args).output().expect("run tokdeck");
        Run::from(output)
    }

    /// Runs and insists on success, showing everything on failure.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(
            run.code,
            0,
            "tokdeck {args:?} failed:\n{run}\nbrowser log:\n{}",
            self.browser_log()
        );
        run
    }

    /// Writes `record` as `account`'s token file, private as tokdeck keeps it.
    pub fn write_record(&self, account: &str, record: &serde_json::Value) {
        let dir = self.path().join("tokens");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join(format!("{account}.json"));
        std::fs::write(&path, record.to_string()).expect("record");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
    }

    pub fn record(&self, account: &str) -> serde_json::Value {
        let text =
            std::fs::read_to_string(self.path().join("tokens").join(format!("{account}.json")))
                .expect("token file");
        serde_json::from_str(&text).expect("token json")
    }
}

/// A token record as tokdeck writes it (version 2), bound to `token_endpoint` and
/// `client_id` (a provider without discovery); `expires_at` `None`: no expiry.
pub fn bound_record(
    access: &str,
    refresh: Option<&str>,
    expires_at: Option<&str>,
    token_endpoint: &str,
    client_id: &str,
) -> serde_json::Value {
    serde_json::json!({
        "version": 2,
        "tokens": {"access_token": access, "token_type": "Bearer", "refresh_token": refresh,
                   "id_token": null, "scopes": [], "issued_at": "2026-01-01T00:00:00Z",
                   "expires_at": expires_at},
        "last_refresh": null,
        "binding": {"token_endpoint": token_endpoint, "client_id": client_id},
    })
}

/// A form POST over plain HTTP/1.1 on loopback: (status, body).
pub fn http_post(url: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .expect("path");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}
