//! The real, certified OpenID provider (`oidc-provider`, tests/provider/server.js) on
//! 127.0.0.1 with an ephemeral port, stopped when the test drops it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const PUBLIC_CLIENT: &str = "tokdeck-public";
pub const CONFIDENTIAL_CLIENT: &str = "tokdeck-confidential";
pub const CONFIDENTIAL_SECRET: &str = "tokdeck-confidential-secret";
pub const SERVICE_CLIENT: &str = "tokdeck-service";
pub const SERVICE_SECRET: &str = "tokdeck-service-secret";

pub struct Provider {
    child: Child,
    pub issuer: String,
    log: tempfile::NamedTempFile,
}

impl Provider {
    /// Starts the provider with extra `server.js` flags (`--access-ttl 5`, ...), and a 1 s
    /// device polling interval so device logins do not wait the default 5 s per poll.
    pub fn start(flags: &[&str]) -> Self {
        let mut all = vec!["--device-interval", "1"];
        all.extend_from_slice(flags);
        Self::start_plain(&all)
    }

    /// Starts the provider exactly as configured by `flags`: no `interval` in device
    /// authorization responses, as oidc-provider ships.
    pub fn start_plain(flags: &[&str]) -> Self {
        let dir = super::repo().join("tests/provider");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "the test provider is not installed: run `npm ci --prefix tests/provider` (scripts/test does it)"
        );
        let log = tempfile::NamedTempFile::new().expect("log file");
        let mut child = Command::new("node")
            .arg(dir.join("server.js"))
            .args(["--port", "0"])
            .args(flags)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log.reopen().expect("log handle"))
            .spawn()
            .expect("start node tests/provider/server.js");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let Some(issuer) = line.trim().strip_prefix("READY ").map(str::to_string) else {
            let _ = child.kill();
            panic!(
                "the provider did not start (got {line:?}):\n{}",
                std::fs::read_to_string(log.path()).unwrap_or_default()
            );
        };
        Self { child, issuer, log }
    }

    /// What the provider logged (one line per request, never tokens).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A config with one provider per test client and an account on each.
    pub fn config(&self) -> String {
        let issuer = &self.issuer;
        format!(
            r#"
[providers.public]
issuer = "{issuer}"
client_id = "{PUBLIC_CLIENT}"
scopes = ["openid", "profile", "email", "offline_access", "api:read"]
flow = "device"

[providers.confidential]
issuer = "{issuer}"
client_id = "{CONFIDENTIAL_CLIENT}"
client_secret = "{CONFIDENTIAL_SECRET}"
scopes = ["openid", "profile", "offline_access", "api:read"]
flow = "browser"

[providers.service]
issuer = "{issuer}"
client_id = "{SERVICE_CLIENT}"
client_secret = "{SERVICE_SECRET}"
scopes = ["api:read"]
flow = "client_credentials"

[accounts.dev]
provider = "public"

[accounts.web]
provider = "confidential"

[accounts.web-public]
provider = "public"
flow = "browser"

[accounts.svc]
provider = "service"
"#
        )
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.stop();
    }
}
