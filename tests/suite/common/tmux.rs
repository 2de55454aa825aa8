//! The dashboard as a person uses it: inside a private tmux server, driven with
//! send-keys and read with capture-pane.

use super::Home;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
    /// Where the shell running tokdeck writes its exit status.
    status_file: std::path::PathBuf,
    /// Where tokdeck's process ID is written.
    pid_file: std::path::PathBuf,
}

impl Tmux {
    /// Starts `tokdeck` (no arguments: the dashboard) in a `width` × `height` pane.
    pub fn start(home: &Home, width: u16, height: u16) -> Self {
        Self::start_wrapped(home, width, height, &[])
    }

    /// The same, with `wrapper` (a program and its arguments, such as `setsid`) before
    /// tokdeck; tokdeck's process ID is written to [`Tmux::pid`]'s file.
    pub fn start_wrapped(home: &Home, width: u16, height: u16, wrapper: &[&str]) -> Self {
        let socket = format!("tokdeck-test-{}-{}", std::process::id(), rand_suffix());
        let status_file = home.path().join("tmux-exit-status");
        let _ = std::fs::remove_file(&status_file);
        let pid_file = home.path().join("tmux-tokdeck-pid");
        let _ = std::fs::remove_file(&pid_file);
        let tmux = Self {
            socket,
            status_file,
            pid_file,
        };
        let mut env = vec![(
            "TOKDECK_HOME".to_string(),
            home.path().display().to_string(),
        )];
        env.extend(home.env.iter().cloned());
        // tmux 3.3a sometimes marks the pane dead (pty closed) without the exit status, so a
        // shell writes it to a file: `exit_status` reads it.
        // The inner shell execs what follows, so its $$ ends as tokdeck's process ID.
        let mut command = vec![
            "sh".to_string(),
            "-c".into(),
            format!("\"$@\"; echo $? > '{}'", tmux.status_file.display()),
            "sh".into(),
            "sh".into(),
            "-c".into(),
            format!("echo $$ > '{}'; exec \"$@\"", tmux.pid_file.display()),
            "sh".into(),
        ];
        command.extend(wrapper.iter().map(|w| w.to_string()));
        command.extend([
            "env".into(),
            "-u".into(),
            "DISPLAY".into(),
            "-u".into(),
            "WAYLAND_DISPLAY".into(),
        ]);
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
        self.paste_with(text, true);
    }

    /// Pastes `text` as a terminal without bracketed paste does: as plain keystrokes.
    pub fn paste_unbracketed(&self, text: &str) {
        self.paste_with(text, false);
    }

    fn paste_with(&self, text: &str, bracketed: bool) {
        let file = tempfile::NamedTempFile::new().expect("temp");
        std::fs::write(file.path(), text).expect("write");
        self.run(&[
            "load-buffer",
            "-b",
            "paste",
            &file.path().display().to_string(),
        ]);
        let mut args = vec!["paste-buffer"];
        if bracketed {
            args.push("-p");
        }
        args.extend(["-b", "paste", "-t", "main"]);
        self.run(&args);
    }

    pub fn buffer(&self) -> String {
        String::from_utf8_lossy(&self.run(&["show-buffer"]).stdout).into_owned()
    }

    /// tokdeck's process ID, once it has started.
    pub fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(&self.pid_file)
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Ends the tmux server: every pane's terminal is closed (hung up).
    pub fn kill_server(&self) {
        self.run(&["kill-server"]);
    }

    /// tokdeck's exit status once it has ended (written by the shell that ran it).
    pub fn exit_status(&self) -> Option<i32> {
        std::fs::read_to_string(&self.status_file)
            .ok()?
            .trim()
            .parse()
            .ok()
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
