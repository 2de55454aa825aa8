//! The Windows build of tokdeck (`tokdeck.exe`, x86_64-pc-windows-gnu) run under Wine, as
//! `scripts/test` prepares it: it builds the exe, makes a Wine prefix with the
//! `ProcessPrng` fixture (tests/windows/bcryptprimitives.c) and names both in
//! `TOKDECK_WINE_EXE` and `WINEPREFIX`. Tests that use it are `#[ignore]`d in a plain
//! `cargo test` and run by `scripts/test` with `--ignored`.

use super::{Home, Run};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Wine {
    exe: PathBuf,
    runner: PathBuf,
}

impl Wine {
    pub fn get() -> Self {
        let exe = std::env::var_os("TOKDECK_WINE_EXE").map(PathBuf::from).expect(
            "TOKDECK_WINE_EXE is not set: the Wine tests run from scripts/test, which builds tokdeck.exe and a Wine prefix",
        );
        assert!(
            std::env::var_os("WINEPREFIX").is_some(),
            "WINEPREFIX is not set"
        );
        let runner = std::env::var_os("TOKDECK_WINE")
            .map_or_else(|| PathBuf::from("/usr/lib/wine/wine64"), PathBuf::from);
        Self { exe, runner }
    }

    /// `tokdeck.exe ARGS` in `home`: `TOKDECK_HOME` as Windows sees it (`Z:\…`), the
    /// home's variables, and the user of tests/provider/user.js as `$BROWSER` when set.
    pub fn command(&self, home: &Home, args: &[&str]) -> Command {
        let mut cmd = self.bare(args);
        cmd.env("TOKDECK_HOME", windows_path(home.path()));
        for (k, v) in &home.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// The same Wine with another copy of tokdeck.exe.
    pub fn with_exe(&self, exe: &Path) -> Self {
        Self {
            exe: exe.to_path_buf(),
            runner: self.runner.clone(),
        }
    }

    /// `tokdeck.exe ARGS` with no `TOKDECK_HOME`: the platform's own directories.
    pub fn bare(&self, args: &[&str]) -> Command {
        let mut cmd = self.raw(&[]);
        cmd.arg(&self.exe).args(args);
        cmd
    }

    /// Any Windows program under Wine (`cmd`, `reg`), with no variables of tokdeck's.
    pub fn raw(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.runner);
        cmd.args(args)
            .env("WINEDEBUG", "-all")
            .env_remove("TOKDECK_HOME")
            .env_remove("TOKDECK_STORE")
            .env_remove("BROWSER")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, home: &Home, args: &[&str]) -> Run {
        Run::from(self.command(home, args).output().expect("run wine"))
    }

    /// Runs and insists on success. Two CI runs saw `tokdeck.exe` finish its work (print
    /// its token; print "Refreshed 'dev'") and exit 1 with no message of tokdeck's, never
    /// reproduced in dozens of runs here (Wine under load is the suspect): such a
    /// [`silent_failure`] is run once more and reported on stderr, while any failure with
    /// a message fails the test at once.
    pub fn ok(&self, home: &Home, args: &[&str]) -> Run {
        let run = self.retrying_silent(|| self.run(home, args), args);
        assert_eq!(
            run.code,
            0,
            "tokdeck.exe {args:?} failed:\n{run}\nbrowser log:\n{}",
            home.browser_log()
        );
        run
    }

    /// `attempt`'s run, or a second one when the first failed silently.
    pub fn retrying_silent(&self, mut attempt: impl FnMut() -> Run, args: &[&str]) -> Run {
        let run = attempt();
        if !silent_failure(&run) {
            return run;
        }
        eprintln!("tokdeck.exe {args:?} failed silently, once more:\n{run}");
        attempt()
    }

    /// The names of the generic credentials in Wine's Credential Manager (its registry
    /// keys, where Wine writes `\` as `_`).
    pub fn credentials(&self) -> Vec<String> {
        let out = self
            .raw(&["reg", "query", r"HKCU\Software\Wine\Credential Manager"])
            .output()
            .expect("reg query");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().split_once(r"Credential Manager\Generic: "))
            .map(|(_, name)| name.to_string())
            .collect()
    }

    /// Whether the Credential Manager holds `name` (`present`) or not, waiting up to 5 s
    /// for it to say so: one CI run listed another test's entry but not this one's right
    /// after a login that had stored it (not seen in any run here).
    pub fn has_credential(&self, name: &str, present: bool) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            if self.credentials().iter().any(|c| c == name) == present {
                return true;
            }
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
    }

    /// A Windows path's place on this machine: `C:\…` is under the prefix's `drive_c`.
    pub fn unix_path(&self, windows: &str) -> PathBuf {
        let prefix = PathBuf::from(std::env::var_os("WINEPREFIX").expect("WINEPREFIX"));
        let rest = windows
            .strip_prefix("C:\\")
            .unwrap_or_else(|| panic!("not on C: '{windows}'"));
        rest.split('\\')
            .fold(prefix.join("drive_c"), |path, part| path.join(part))
    }
}

/// A non-zero exit with no error line of tokdeck's (`tokdeck: …` other than a warning):
/// every failure of tokdeck's own says what went wrong, so this one is Wine's.
pub fn silent_failure(run: &Run) -> bool {
    run.code != 0
        && !run
            .stderr
            .lines()
            .any(|l| l.starts_with("tokdeck:") && !l.starts_with("tokdeck: warning:"))
}

/// A Unix path as Wine's `Z:` drive shows it.
pub fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}
