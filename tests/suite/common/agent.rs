//! A tokdeck agent in the foreground, owned (and killed) by the test.

use super::Home;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// An agent in the foreground.
pub struct Agent {
    child: Child,
    pub socket: PathBuf,
}

impl Agent {
    pub fn start(home: &Home, flags: &[&str]) -> Self {
        let mut args = vec!["agent", "--foreground"];
        args.extend_from_slice(flags);
        let child = home
            .command(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the agent");
        let socket = home.path().join("agent/agent.sock");
        let start = Instant::now();
        while UnixStream::connect(&socket).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the agent never listened"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, socket }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
