//! Text that tokdeck did not write (a provider's error, a device code, a person's name,
//! a claim, a value read back from the store or a cache) made safe to print: it can
//! neither steer the terminal (ESC, OSC 52 clipboard writes, screen clears), rewrite the
//! line it is on (CR, backspace) nor reorder what is shown (bidirectional overrides).
//! Such characters are shown escaped, so the person sees that something odd was sent.

use std::borrow::Cow;
use std::fmt;

/// `text` with every control character (C0, DEL, C1), line break included, and every
/// bidirectional control shown as an escape (`\x1b`, `\r`, `\n`, `\u202e`).
/// Borrowed when nothing needed escaping.
pub fn printable(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// As [`printable`], but line feeds and tabs stay: for whole messages of several
/// lines, where each line's own untrusted parts were already escaped.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// A `Display` of untrusted text through [`printable`], for `format!` arguments.
pub struct Printable<'a>(pub &'a str);

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&printable(self.0))
    }
}

/// True for characters that must never reach a terminal raw.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Unicode's bidirectional formatting characters (UAX #9): they reorder what follows
/// ("Trojan Source", CVE-2021-42574).
fn is_bidi_control(c: char) -> bool {
    matches!(c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape(text: &str, keep_lines: bool) -> Cow<'_, str> {
    let needs = |c: char| is_unsafe(c) && !(keep_lines && matches!(c, '\n' | '\t'));
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            _ if !needs(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // C0 controls never appear raw in JSON (serializers escape them); DEL, C1
            // and the bidirectional controls do, and `\uXXXX` keeps JSON output valid
            // JSON while it escapes them for the terminal.
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{:04x}", c as u32)),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(
            printable("bob@example.test — Zoë"),
            Cow::Borrowed("bob@example.test — Zoë")
        ));
    }

    #[test]
    fn escape_sequences_and_line_rewrites_are_shown_escaped() {
        assert_eq!(
            printable("a\x1b]52;c;aGk=\x07b\x1b[2J\rFAKE\u{9b}"),
            "a\\x1b]52;c;aGk=\\x07b\\x1b[2J\\rFAKE\\u009b"
        );
        assert_eq!(printable("x\ny\tz\x7f"), "x\\ny\\tz\\u007f");
    }

    #[test]
    fn bidirectional_overrides_are_shown_escaped() {
        assert_eq!(printable("abc\u{202e}fed"), "abc\\u202efed");
        assert_eq!(printable("\u{2066}x\u{2069}"), "\\u2066x\\u2069");
    }

    #[test]
    fn json_stays_json() {
        let value = serde_json::json!({"name": "a\u{202e}b\u{9b}c\u{7f}d\u{1b}e\n"});
        let shown = printable_lines(&value.to_string()).into_owned();
        assert!(!shown.chars().any(is_unsafe), "{shown:?}");
        let back: serde_json::Value = serde_json::from_str(&shown).expect("still JSON");
        assert_eq!(back, value);
    }

    #[test]
    fn lines_keep_line_feeds_and_tabs_only() {
        assert_eq!(printable_lines("a\n\tb\r\x1b"), "a\n\tb\\r\\x1b");
    }
}
