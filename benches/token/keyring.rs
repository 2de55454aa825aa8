//! A private Secret Service: dbus-daemon plus gnome-keyring-daemon, unlocked, for tests
//! and benchmarks that use the keyring store from several processes.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct KeyringSession {
    dbus: Child,
    keyring: Child,
    pub address: String,
    /// The bus socket and the keyring live here until the session is dropped.
    _dir: tempfile::TempDir,
}

impl KeyringSession {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut dbus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}/bus", dir.path().display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon (install dbus)");
        let mut address = String::new();
        BufReader::new(dbus.stdout.take().expect("stdout"))
            .read_line(&mut address)
            .expect("bus address");
        let address = address.trim().to_string();
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets", "--foreground"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon (install gnome-keyring)");
        if let Some(mut stdin) = keyring.stdin.take() {
            let _ = stdin.write_all(b"tokdeck-test");
        }
        let session = Self {
            dbus,
            keyring,
            address,
            _dir: dir,
        };
        session.wait_for_secrets();
        session
    }

    fn wait_for_secrets(&self) {
        let start = Instant::now();
        loop {
            let out = Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ])
                .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
                .output()
                .expect("dbus-send");
            if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "gnome-keyring never joined the bus"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The environment a process needs to use this keyring.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.address.clone()),
            ("TOKDECK_STORE".into(), "keyring".into()),
        ]
    }
}

impl Drop for KeyringSession {
    fn drop(&mut self) {
        let _ = self.keyring.kill();
        let _ = self.keyring.wait();
        let _ = self.dbus.kill();
        let _ = self.dbus.wait();
    }
}
