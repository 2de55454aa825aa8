//! Where the agent listens, and the directory that guards it.
//!
//! The socket is at a fixed path, so no `eval` is needed to find it:
//! `$TOKDECK_HOME/agent/agent.sock` when `TOKDECK_HOME` is set, else
//! `$XDG_RUNTIME_DIR/tokdeck/agent.sock`, else `agent/agent.sock` under the data
//! directory. `TOKDECK_AGENT_SOCK` points clients elsewhere (a forwarded socket on a
//! remote host); `TOKDECK_AGENT=off` makes them work without the agent.

use std::path::{Path, PathBuf};

/// A socket path for clients, as `SSH_AUTH_SOCK` is for ssh.
pub const SOCK_ENV: &str = "TOKDECK_AGENT_SOCK";
/// `off`: commands never ask the agent (direct mode).
pub const AGENT_ENV: &str = "TOKDECK_AGENT";

/// The longest socket path the kernel takes (`sun_path`: 108 bytes on Linux, 104 on
/// macOS, with the terminating NUL).
const MAX_SOCKET_PATH: usize = 103;

/// Where the agent of `data_dir` listens.
pub fn default_path(data_dir: &Path) -> PathBuf {
    let home = std::env::var_os(crate::config::HOME_ENV).filter(|v| !v.is_empty());
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    match (home, runtime) {
        (None, Some(runtime)) => runtime.join("tokdeck").join("agent.sock"),
        _ => data_dir.join("agent").join("agent.sock"),
    }
}

/// How a client finds the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Where {
    /// `TOKDECK_AGENT=off`.
    Off,
    /// The fixed path: no agent there means direct mode.
    Default(PathBuf),
    /// `TOKDECK_AGENT_SOCK`: the user asked for this agent; none there is an error.
    Named(PathBuf),
}

pub fn where_to_look(data_dir: &Path) -> Where {
    if std::env::var(AGENT_ENV).is_ok_and(|v| v.eq_ignore_ascii_case("off")) {
        return Where::Off;
    }
    match std::env::var_os(SOCK_ENV).filter(|v| !v.is_empty()) {
        Some(path) => Where::Named(PathBuf::from(path)),
        None => Where::Default(default_path(data_dir)),
    }
}

/// Makes the socket's directory (0700) or checks the one there: a directory, not a link,
/// owned by `uid`, that nobody else may enter. The error says what is wrong and what to do.
#[cfg(unix)]
pub fn guard_dir(dir: &Path, uid: u32) -> Result<(), String> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create '{}': {e}", parent.display()))?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("cannot create '{}': {e}", dir.display())),
    }
    let meta = std::fs::symlink_metadata(dir)
        .map_err(|e| format!("cannot read '{}': {e}", dir.display()))?;
    if !meta.file_type().is_dir() {
        return Err(format!(
            "'{}' is not a directory (a link?); remove it and start the agent again",
            dir.display()
        ));
    }
    if meta.uid() != uid {
        return Err(format!(
            "'{}' belongs to uid {}, not to you (uid {uid}); remove it and start the agent again",
            dir.display(),
            meta.uid()
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "'{}' may be entered by others (mode {mode:o}); run `chmod 700 '{}'` and start the agent again",
            dir.display(),
            dir.display()
        ));
    }
    Ok(())
}

/// Where `tokdeck ssh` asks sshd to put the forwarded socket on the remote host:
/// `/tmp/tokdeck-RANDOM.sock`. No private directory is known there before the connection
/// (no runtime directory without a PAM session; homes differ): sshd creates the socket
/// 0600 (`StreamLocalBindMask` 0177) under an unguessable name in the sticky /tmp, and
/// the remote tokdeck connects only to a socket of its own uid that no one else may use.
pub const REMOTE_PREFIX: &str = "/tmp/tokdeck-";

/// This process's uid, where the system says it without a call (`/proc/self`).
pub fn own_uid() -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").ok().map(|m| m.uid())
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// A socket the client may talk to: a socket (not a link), this user's, usable by no
/// one else. Checked for sockets named by `TOKDECK_AGENT_SOCK` or found in /tmp, so
/// another user's planted socket is never asked for anything.
#[cfg(unix)]
pub fn check_socket(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if !meta.file_type().is_socket() {
        return Err("it is not a socket".into());
    }
    if let Some(uid) = own_uid()
        && meta.uid() != uid
    {
        return Err(format!(
            "it belongs to uid {}, not to you (uid {uid})",
            meta.uid()
        ));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(format!(
            "others may use it (mode {:o})",
            meta.permissions().mode() & 0o777
        ));
    }
    Ok(())
}

/// Forwarded agents' sockets in /tmp that pass [`check_socket`], newest first: where
/// a remote tokdeck with no config and no `TOKDECK_AGENT_SOCK` looks.
#[cfg(unix)]
pub fn forwarded_sockets() -> Vec<PathBuf> {
    let Some((dir, prefix)) = REMOTE_PREFIX.rsplit_once('/') else {
        return Vec::new();
    };
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(prefix) && name.ends_with(".sock")
        })
        .map(|e| e.path())
        .filter(|p| check_socket(p).is_ok())
        .filter_map(|p| Some((std::fs::symlink_metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found.into_iter().map(|(_, p)| p).collect()
}

/// A socket path the kernel takes, or why not.
pub fn check_length(path: &Path) -> Result<(), String> {
    if path.as_os_str().len() > MAX_SOCKET_PATH {
        return Err(format!(
            "the socket path '{}' is longer than the {MAX_SOCKET_PATH} bytes a Unix socket's path may have; set {SOCK_ENV} to a shorter path",
            path.display()
        ));
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    #[test]
    fn the_directory_is_made_private_and_checked() {
        let base = tempfile::tempdir().expect("tempdir");
        let dir = base.path().join("agent");
        let uid = std::fs::metadata(base.path()).expect("meta").uid();
        guard_dir(&dir, uid).expect("made");
        let mode = std::fs::metadata(&dir).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let e = guard_dir(&dir, uid).expect_err("open to others");
        assert!(e.contains("chmod 700"), "{e}");
        let e = guard_dir(&dir, uid + 1).expect_err("another owner");
        assert!(e.contains("belongs to uid"), "{e}");
        let link = base.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).expect("symlink");
        let e = guard_dir(&link, uid).expect_err("a link");
        assert!(e.contains("not a directory"), "{e}");
    }

    #[test]
    fn a_path_too_long_for_a_socket_is_said() {
        let long = PathBuf::from(format!("/tmp/{}/agent.sock", "x".repeat(120)));
        assert!(check_length(&long).expect_err("long").contains(SOCK_ENV));
        assert!(check_length(Path::new("/run/user/1000/tokdeck/agent.sock")).is_ok());
    }
}
