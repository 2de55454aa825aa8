//! Django OAuth Toolkit, the second authorization server (tests/dot/README.md): a fresh
//! database and signing key per server, `manage.py runserver` on a free 127.0.0.1 port,
//! stopped on drop. Needs the virtual environment scripts/test makes in tests/dot/.venv.

use super::repo;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const DEVICE_CLIENT: &str = "tokdeck-device";
pub const BROWSER_CLIENT: &str = "tokdeck-browser";
pub const SERVICE_CLIENT: &str = "tokdeck-service";
pub const SERVICE_SECRET: &str = "tokdeck-service-secret";

pub struct Dot {
    /// `http://127.0.0.1:PORT/o`: an issuer with a path.
    pub issuer: String,
    state: tempfile::TempDir,
    child: Child,
}

pub fn python() -> PathBuf {
    let python = repo().join("tests/dot/.venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test, which makes the Django OAuth Toolkit venv",
        python.display()
    );
    python
}

impl Dot {
    /// A server whose access tokens live `access_ttl` seconds.
    pub fn start(access_ttl: u32) -> Self {
        let state = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port");
        let base = format!("http://127.0.0.1:{port}");
        let manage = |args: &[&str]| {
            let mut command = Command::new(python());
            command
                .arg(repo().join("tests/dot/manage.py"))
                .args(args)
                .current_dir(repo().join("tests/dot"))
                .env("TOKDECK_DOT_DIR", state.path())
                .env("TOKDECK_DOT_URL", &base)
                .env("TOKDECK_DOT_ACCESS_TTL", access_ttl.to_string());
            command
        };
        for step in [&["migrate", "-v0"][..], &["tokdeck_setup"]] {
            let out = manage(step).output().expect("manage.py");
            assert!(
                out.status.success(),
                "manage.py {step:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let log = std::fs::File::create(state.path().join("server.log")).expect("log");
        let child = manage(&["runserver", &format!("127.0.0.1:{port}"), "--noreload"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("runserver");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the Django server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            issuer: format!("{base}/o"),
            state,
            child,
        }
    }

    /// The server's request log (`"POST /o/revoke_token/ HTTP/1.1" 200`).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.state.path().join("server.log")).unwrap_or_default()
    }

    pub fn log_count(&self, needle: &str) -> usize {
        self.log().lines().filter(|l| l.contains(needle)).count()
    }

    /// A config with one account per test client: `svc`, `dev` (device), `web` (browser).
    pub fn config(&self) -> String {
        let issuer = &self.issuer;
        format!(
            r#"
[providers.dot-service]
issuer = "{issuer}"
client_id = "{SERVICE_CLIENT}"
client_secret = "{SERVICE_SECRET}"
scopes = ["read"]
flow = "client_credentials"

[providers.dot-device]
issuer = "{issuer}"
client_id = "{DEVICE_CLIENT}"
scopes = ["openid", "profile", "email", "read"]
flow = "device"
# DOT lists its device endpoint in neither metadata document.
device_authorization_endpoint = "{issuer}/device-authorization/"

[providers.dot-browser]
issuer = "{issuer}"
client_id = "{BROWSER_CLIENT}"
scopes = ["openid", "profile", "email", "read"]
flow = "browser"

[accounts.svc]
provider = "dot-service"

[accounts.dev]
provider = "dot-device"

[accounts.web]
provider = "dot-browser"
"#
        )
    }

    /// The headless user as `$BROWSER` for `home` (its pages go to browser.log).
    pub fn user_script(&self, home: &super::Home) -> String {
        let script = home.path().join("dot-browser.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nexec '{}' '{}' \"$@\" >>'{}' 2>&1\n",
                python().display(),
                repo().join("tests/dot/user.py").display(),
                home.path().join("browser.log").display()
            ),
        )
        .expect("script");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        script.display().to_string()
    }
}

impl Drop for Dot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
