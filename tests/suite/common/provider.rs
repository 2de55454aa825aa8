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
        // A loaded CI machine once kept node from starting for a minute: try twice.
        match Self::try_start(flags) {
            Ok(provider) => provider,
            Err(first) => Self::try_start(flags).unwrap_or_else(|second| {
                panic!(
                    "the provider did not start:\n--- first try\n{first}\n--- second try\n{second}"
                )
            }),
        }
    }

    fn try_start(flags: &[&str]) -> Result<Self, String> {
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
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        match line.trim().strip_prefix("READY ").map(str::to_string) {
            Some(issuer) => Ok(Self { child, issuer, log }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!(
                    "got {line:?}; its log:\n{}",
                    std::fs::read_to_string(log.path()).unwrap_or_default()
                ))
            }
        }
    }

    /// What the provider logged (one line per request, never tokens).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Stops listening (connections refused) while keeping every grant in memory.
    pub fn go_offline(&self) {
        self.signal("USR1");
        self.wait_log("offline (SIGUSR1)");
    }

    pub fn go_online(&self) {
        self.signal("USR2");
        self.wait_log("online again (SIGUSR2)");
    }

    /// Freezes the provider (SIGSTOP): connections are accepted by the kernel and
    /// requests queue, unanswered, until [`Self::resume`] — a stalled server.
    pub fn pause(&self) {
        self.signal("STOP");
    }

    pub fn resume(&self) {
        self.signal("CONT");
    }

    fn wait_log(&self, line: &str) {
        let start = std::time::Instant::now();
        while !self.log().contains(line) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "provider never logged '{line}'"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// RFC 7662 introspection of `token` as the public client: the provider's JSON answer.
    pub fn introspect(&self, token: &str) -> serde_json::Value {
        let body = format!("token={}&client_id={PUBLIC_CLIENT}", url_encode(token));
        let (status, text) =
            super::http_post(&format!("{}/token/introspection", self.issuer), &body);
        assert_eq!(status, 200, "introspection failed: {text}");
        serde_json::from_str(&text).expect("introspection JSON")
    }

    /// Lines of the provider's log that mention `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        self.log().lines().filter(|l| l.contains(needle)).count()
    }

    /// The count of `needle` once it reaches `n` (or after 5 s): a request's line is
    /// written when its response closes, which may be a moment after the client has
    /// read the answer and gone on.
    pub fn log_count_reaching(&self, needle: &str, n: usize) -> usize {
        let start = std::time::Instant::now();
        loop {
            let count = self.log_count(needle);
            if count >= n || start.elapsed() > Duration::from_secs(5) {
                return count;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
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

pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The test resource server (tests/provider/resource.js): it takes a request only with
/// a token of `issuer`, and a DPoP-bound one only with a valid proof.
pub struct Resource {
    child: Child,
    pub url: String,
}

impl Resource {
    pub fn start(issuer: &str) -> Self {
        Self::start_with(issuer, &[])
    }

    /// With `resource.js` flags: `--metadata` makes it an API that publishes its
    /// protected resource metadata (RFC 9728) at /mcp and takes only tokens for itself.
    pub fn start_with(issuer: &str, flags: &[&str]) -> Self {
        let dir = super::repo().join("tests/provider");
        let mut child = Command::new("node")
            .arg(dir.join("resource.js"))
            .arg(issuer)
            .args(flags)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start node tests/provider/resource.js");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("READY line");
        let url = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("resource server said {line:?}"))
            .to_string();
        Self { child, url }
    }

    /// GET `path` with these request headers (lines `Name: value`), by curl: the status
    /// and the body.
    pub fn get(&self, path: &str, headers: &str) -> (u16, String) {
        curl_get(&format!("{}{path}", self.url), headers)
    }
}

/// GET `url` by curl with `headers` (lines `Name: value`, fed on stdin as `-H @-`).
pub fn curl_get(url: &str, headers: &str) -> (u16, String) {
    use std::io::Write;
    let mut child = Command::new("curl")
        .args(["-s", "-H", "@-", "-w", "\n%{http_code}", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("curl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(headers.as_bytes())
        .expect("write headers");
    let out = child.wait_with_output().expect("curl output");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

impl Drop for Resource {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An EC P-256 key pair made by openssl: the PKCS#8 PEM (0600) and the public JWKS with
/// `kid`.
pub fn ec_key(dir: &std::path::Path, kid: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    use base64::Engine;
    let key = dir.join("client-key.pem");
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(&key)
        .output()
        .expect("openssl genpkey");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let spki = std::process::Command::new("openssl")
        .args(["pkey", "-pubout", "-outform", "DER", "-in"])
        .arg(&key)
        .output()
        .expect("openssl pkey")
        .stdout;
    let point = &spki[spki.len() - 64..]; // x || y after the 0x04 of the uncompressed point
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let jwks = serde_json::json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
        "x": b64.encode(&point[..32]), "y": b64.encode(&point[32..]),
    }]});
    let jwks_file = dir.join("client-jwks.json");
    std::fs::write(&jwks_file, jwks.to_string()).expect("write");
    (key, jwks_file)
}
