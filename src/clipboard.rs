//! Copying tokens: the system clipboard (arboard) where there is a display, OSC 52 through
//! the terminal where there is none or over SSH (tmux passes it on with `set-clipboard on`).

use crate::secret::Secret;
use base64::Engine;
use std::io::Write;

/// How a copy went: the system clipboard (read back, so a timed clear can check it
/// still holds the token) or the terminal (OSC 52: write-only).
pub const VIA_SYSTEM: &str = "system clipboard";
pub const VIA_TERMINAL: &str = "OSC 52 via the terminal";

pub struct Clipboard {
    system: Option<arboard::Clipboard>,
    /// What tokdeck last put there, so a timed clear never wipes what the user copied since.
    last: Option<Secret>,
}

impl Clipboard {
    pub fn new() -> Self {
        Self {
            system: if has_display() {
                arboard::Clipboard::new().ok()
            } else {
                None
            },
            last: None,
        }
    }

    /// Copies `text`; says how ("system clipboard" or "OSC 52 via the terminal").
    pub fn copy(
        &mut self,
        text: &Secret,
        terminal: &mut impl Write,
    ) -> Result<&'static str, String> {
        let via = match self
            .system
            .as_mut()
            .map(|c| c.set_text(text.expose().to_string()))
        {
            Some(Ok(())) => VIA_SYSTEM,
            // A display that refuses still leaves the terminal route.
            Some(Err(_)) | None => {
                terminal
                    .write_all(osc52(text.expose()).as_bytes())
                    .and_then(|()| terminal.flush())
                    .map_err(|e| format!("cannot write to the terminal: {e}"))?;
                VIA_TERMINAL
            }
        };
        self.last = Some(text.clone());
        Ok(via)
    }

    /// Clears the clipboard if it still holds `text` (and tokdeck copied nothing since).
    pub fn clear_if_unchanged(&mut self, text: &Secret, terminal: &mut impl Write) -> bool {
        if self.last.as_ref() != Some(text) {
            return false;
        }
        self.last = None;
        match self.system.as_mut() {
            Some(system) => {
                let still = system
                    .get_text()
                    .is_ok_and(|current| current == text.expose());
                still && system.clear().is_ok()
            }
            // A terminal's clipboard cannot be read back: whatever the user copied after
            // the token would be overwritten blindly, and the token stays in the
            // terminal's (tmux's) buffer history anyway. Not cleared; the copy said so.
            None => {
                let _ = terminal;
                false
            }
        }
    }
}

impl Default for Clipboard {
    fn default() -> Self {
        Self::new()
    }
}

/// `ESC ] 52 ; c ; <base64> BEL`: sets the terminal's clipboard selection.
pub fn osc52(text: &str) -> String {
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

fn has_display() -> bool {
    if cfg!(any(target_os = "macos", windows)) {
        return true;
    }
    let remote =
        std::env::var_os("SSH_CONNECTION").is_some() || std::env::var_os("SSH_TTY").is_some();
    let display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    display && !remote
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_encodes_the_text() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }

    #[test]
    fn terminal_route_writes_osc52_and_never_clears_blindly() {
        let mut clipboard = Clipboard {
            system: None,
            last: None,
        };
        let mut out = Vec::new();
        let token = Secret::new("tok");
        assert_eq!(
            clipboard.copy(&token, &mut out),
            Ok("OSC 52 via the terminal")
        );
        assert_eq!(String::from_utf8_lossy(&out), osc52("tok"));
        let other = Secret::new("other");
        clipboard.copy(&other, &mut Vec::new()).expect("copy");
        assert!(
            !clipboard.clear_if_unchanged(&token, &mut out),
            "a newer copy is left alone"
        );
        // Even tokdeck's own last copy: the terminal cannot say whether the user copied
        // something since, so nothing is written over it.
        let mut cleared = Vec::new();
        assert!(!clipboard.clear_if_unchanged(&other, &mut cleared));
        assert!(cleared.is_empty());
    }
}
