//! How tokdeck writes files. Files it creates or truncates (locks, the log, markers) are
//! opened without following a symbolic link, so a link planted where tokdeck writes
//! cannot make it truncate or append to another file. Files it replaces (token files,
//! caches, the config, other tools' files) are written by [`atomic_write`]: a new
//! temporary file renamed over the old name, which replaces a link instead of writing
//! through it.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Opens `path` with `options`, refusing a symbolic link at `path` itself (on Unix by
/// `O_NOFOLLOW`, atomically; elsewhere by looking first). The error names the path and
/// what to do.
pub fn open_no_follow(options: &mut OpenOptions, path: &Path) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
        options.open(path).map_err(|e| {
            // ELOOP is what O_NOFOLLOW answers for a link.
            if e.raw_os_error() == Some(libc::ELOOP) {
                symlink_refused(path)
            } else {
                e
            }
        })
    }
    #[cfg(not(unix))]
    {
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(symlink_refused(path));
        }
        options.open(path)
    }
}

/// Writes `bytes` to a new or truncated `path` that is not a link.
pub fn write_no_follow(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    open_no_follow(&mut options, path)?.write_all(bytes)
}

fn symlink_refused(path: &Path) -> io::Error {
    io::Error::other(format!(
        "'{}' is a symbolic link, and tokdeck does not write through links; remove it",
        path.display()
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("precious");
        std::fs::write(&target, "keep me").expect("write");
        let link = dir.path().join("x.lock");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        let e = open_no_follow(&mut options, &link).expect_err("refused");
        assert!(e.to_string().contains("is a symbolic link"), "{e}");
        assert!(write_no_follow(&link, b"").is_err());
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep me");
        write_no_follow(&dir.path().join("plain"), b"ok").expect("a plain file is written");
    }
}

/// Writes `bytes` to `path` through a 0600 temp file in the same directory, flushed and
/// renamed over the target, so readers and crashes see the old or the new content only.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".tokdeck-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    // Windows refuses to replace a file another process is opening at that moment
    // (ERROR_ACCESS_DENIED, a sharing violation): a moment later it can. A save that
    // gave up would lose a rotated refresh token.
    let mut temp = temp;
    let mut tries = 0;
    loop {
        match temp.persist(path) {
            Ok(_) => break,
            Err(e)
                if cfg!(windows)
                    && e.error.kind() == io::ErrorKind::PermissionDenied
                    && tries < 20 =>
            {
                tries += 1;
                temp = e.file;
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            Err(e) => return Err(e.error),
        }
    }
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
