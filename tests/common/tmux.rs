//! The dashboard as a person uses it: inside a private tmux server, driven with
//! send-keys and read with capture-pane.

use super::Home;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `tokdeck` (no arguments: the dashboard) in a `width` × `height` pane.
    pub fn start(home: &Home, width: u16, height: u16) -> Self {
        let socket = format!("tokdeck-test-{}-{}", std::process::id(), rand_suffix());
        let tmux = Self { socket };
        let mut env = vec![(
            "TOKDECK_HOME".to_string(),
            home.path().display().to_string(),
        )];
        env.extend(home.env.iter().cloned());
        let mut command = vec![
            "env".to_string(),
            "-u".into(),
            "DISPLAY".into(),
            "-u".into(),
            "WAYLAND_DISPLAY".into(),
        ];
        command.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        command.push(env!("CARGO_BIN_EXE_tokdeck").to_string());
        let (w, h) = (width.to_string(), height.to_string());
        let mut args = vec![
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            &w,
            "-y",
            &h,
        ];
        let owned: Vec<String> = command;
        args.extend(owned.iter().map(String::as_str));
        let out = tmux.run(&args);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux.run(&["set-option", "-g", "remain-on-exit", "on"]);
        tmux.run(&["set-option", "-g", "set-clipboard", "on"]);
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux (install tmux)")
    }

    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "main"]).stdout)
            .into_owned()
    }

    pub fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Captures until `done` holds for the screen, or panics with the last screen.
    pub fn wait_for(&self, what: &str, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if done(&screen) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn resize(&self, width: u16, height: u16) {
        self.run(&[
            "resize-window",
            "-t",
            "main",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }

    /// Pastes `text` as the terminal would (bracketed paste).
    pub fn paste(&self, text: &str) {
        let file = tempfile::NamedTempFile::new().expect("temp");
        std::fs::write(file.path(), text).expect("write");
        self.run(&[
            "load-buffer",
            "-b",
            "paste",
            &file.path().display().to_string(),
        ]);
        self.run(&["paste-buffer", "-p", "-b", "paste", "-t", "main"]);
    }

    pub fn buffer(&self) -> String {
        String::from_utf8_lossy(&self.run(&["show-buffer"]).stdout).into_owned()
    }

    /// `#{pane_dead} #{pane_dead_status}` of the pane.
    pub fn pane_state(&self) -> String {
        let out = self.run(&[
            "display-message",
            "-p",
            "-t",
            "main",
            "#{pane_dead} #{pane_dead_status}",
        ]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(1);
    h.finish() % 1_000_000
}
