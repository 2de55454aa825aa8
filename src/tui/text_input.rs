//! A one-line text field that edits like a shell line (readline's common keys): Left and
//! Right, Home/End and Ctrl-A/Ctrl-E, Backspace and Delete, Ctrl-U, Ctrl-W and Ctrl-K. No
//! control key ever inserts a letter, and a character the field does not take is refused
//! with the character named, never dropped without a word.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt;

#[derive(Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    /// In characters, `0..=len`.
    cursor: usize,
    /// A secret: `Debug` shows only its length.
    masked: bool,
}

/// What a key did to the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The text changed.
    Changed,
    /// Only the cursor moved.
    Moved,
    /// The field does not take this character.
    Refused(char),
    /// Not a key for a text field (Enter, Tab, arrows up and down, …).
    Ignored,
}

impl fmt::Debug for TextInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.masked {
            write!(f, "TextInput([redacted], {} chars)", self.len())
        } else {
            write!(f, "TextInput({:?}, cursor {})", self.text, self.cursor)
        }
    }
}

impl From<&str> for TextInput {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

/// Compares the text (tests and callers that only care about what was typed).
impl PartialEq<&str> for TextInput {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl TextInput {
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            cursor: text.chars().count(),
            text,
            masked: false,
        }
    }

    /// A field for a secret (a client secret): its `Debug` never shows the text.
    pub fn masked(text: impl Into<String>) -> Self {
        Self {
            masked: true,
            ..Self::new(text)
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    fn byte(&self, char_index: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_index)
            .map_or(self.text.len(), |(i, _)| i)
    }

    /// Replaces the whole text, cursor at the end.
    pub fn set(&mut self, text: impl Into<String>) {
        self.text = text.into();
        self.cursor = self.len();
    }

    /// Inserts what `accepts` takes of `text` at the cursor (a paste; line breaks and
    /// other control characters are left out); returns the first character refused.
    pub fn insert_str(&mut self, text: &str, accepts: impl Fn(char) -> bool) -> Option<char> {
        let mut refused = None;
        for c in text.chars().filter(|c| !c.is_control()) {
            if accepts(c) {
                let at = self.byte(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
            } else if refused.is_none() {
                refused = Some(c);
            }
        }
        refused
    }

    /// Applies one key; `accepts` says which characters the field takes.
    pub fn key(&mut self, key: KeyEvent, accepts: impl Fn(char) -> bool) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Char('a') if ctrl => self.move_to(0),
            KeyCode::Char('e') if ctrl => self.move_to(self.len()),
            KeyCode::Char('b') if ctrl => self.move_to(self.cursor.saturating_sub(1)),
            KeyCode::Char('f') if ctrl => self.move_to((self.cursor + 1).min(self.len())),
            KeyCode::Char('u') if ctrl => self.delete(0, self.cursor),
            KeyCode::Char('k') if ctrl => self.delete(self.cursor, self.len()),
            KeyCode::Char('w') if ctrl => self.delete(self.word_start(), self.cursor),
            KeyCode::Char('h') if ctrl => self.delete(self.cursor.saturating_sub(1), self.cursor),
            KeyCode::Char('d') if ctrl => {
                self.delete(self.cursor, (self.cursor + 1).min(self.len()))
            }
            // Any other control or alt chord is a command, never text.
            KeyCode::Char(_) if ctrl || alt => Edit::Ignored,
            KeyCode::Char(c) if accepts(c) => {
                let at = self.byte(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
                Edit::Changed
            }
            KeyCode::Char(c) => Edit::Refused(c),
            KeyCode::Left => self.move_to(self.cursor.saturating_sub(1)),
            KeyCode::Right => self.move_to((self.cursor + 1).min(self.len())),
            KeyCode::Home => self.move_to(0),
            KeyCode::End => self.move_to(self.len()),
            KeyCode::Backspace => self.delete(self.cursor.saturating_sub(1), self.cursor),
            KeyCode::Delete => self.delete(self.cursor, (self.cursor + 1).min(self.len())),
            _ => Edit::Ignored,
        }
    }

    fn move_to(&mut self, at: usize) -> Edit {
        self.cursor = at;
        Edit::Moved
    }

    fn delete(&mut self, from: usize, to: usize) -> Edit {
        if from >= to {
            return Edit::Moved;
        }
        let (a, b) = (self.byte(from), self.byte(to));
        self.text.replace_range(a..b, "");
        self.cursor = from;
        Edit::Changed
    }

    /// Where Ctrl-W stops: the start of the word before the cursor (after blanks).
    fn word_start(&self) -> usize {
        let chars: Vec<char> = self.text.chars().take(self.cursor).collect();
        let mut at = chars.len();
        while at > 0 && chars[at - 1].is_whitespace() {
            at -= 1;
        }
        while at > 0 && !chars[at - 1].is_whitespace() {
            at -= 1;
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(input: &mut TextInput, code: KeyCode, modifiers: KeyModifiers) -> Edit {
        input.key(KeyEvent::new(code, modifiers), |c| c != ' ')
    }

    fn ctrl(input: &mut TextInput, c: char) -> Edit {
        press(input, KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn typed(input: &mut TextInput, text: &str) {
        for c in text.chars() {
            press(input, KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    #[test]
    fn control_keys_edit_and_never_insert_letters() {
        let mut input = TextInput::new("abc");
        // The bug this replaces: Ctrl-U, Ctrl-W and Ctrl-A typed "uwa".
        assert_eq!(ctrl(&mut input, 'w'), Edit::Changed);
        assert_eq!(input.text(), "");
        typed(&mut input, "one-two");
        assert_eq!(ctrl(&mut input, 'a'), Edit::Moved);
        typed(&mut input, "x");
        assert_eq!(input.text(), "xone-two");
        assert_eq!(ctrl(&mut input, 'e'), Edit::Moved);
        assert_eq!(ctrl(&mut input, 'u'), Edit::Changed);
        assert_eq!(input.text(), "");
        for c in "lnpqrstvxyz".chars() {
            assert_eq!(ctrl(&mut input, c), Edit::Ignored, "ctrl-{c}");
        }
        assert_eq!(
            press(&mut input, KeyCode::Char('x'), KeyModifiers::ALT),
            Edit::Ignored
        );
        assert_eq!(input.text(), "", "nothing was inserted");
    }

    #[test]
    fn the_cursor_moves_and_edits_happen_where_it_is() {
        let mut input = TextInput::new("hello");
        press(&mut input, KeyCode::Left, KeyModifiers::NONE);
        press(&mut input, KeyCode::Left, KeyModifiers::NONE);
        typed(&mut input, "X");
        assert_eq!((input.text(), input.cursor()), ("helXlo", 4));
        press(&mut input, KeyCode::Delete, KeyModifiers::NONE);
        assert_eq!(input.text(), "helXo");
        press(&mut input, KeyCode::Backspace, KeyModifiers::NONE);
        assert_eq!(input.text(), "helo");
        ctrl(&mut input, 'k');
        assert_eq!(input.text(), "hel");
        press(&mut input, KeyCode::Home, KeyModifiers::NONE);
        press(&mut input, KeyCode::Backspace, KeyModifiers::NONE);
        assert_eq!((input.text(), input.cursor()), ("hel", 0));
        press(&mut input, KeyCode::End, KeyModifiers::NONE);
        assert_eq!(input.cursor(), 3);
    }

    #[test]
    fn ctrl_w_deletes_the_word_before_the_cursor() {
        let mut input = TextInput::new("openid profile  ");
        ctrl(&mut input, 'w');
        assert_eq!(input.text(), "openid ");
        ctrl(&mut input, 'w');
        assert_eq!(input.text(), "");
    }

    #[test]
    fn a_refused_character_is_named_and_multibyte_text_is_safe() {
        let mut input = TextInput::new("é");
        assert_eq!(
            press(&mut input, KeyCode::Char(' '), KeyModifiers::NONE),
            Edit::Refused(' ')
        );
        typed(&mut input, "ü");
        press(&mut input, KeyCode::Left, KeyModifiers::NONE);
        press(&mut input, KeyCode::Backspace, KeyModifiers::NONE);
        assert_eq!(input.text(), "ü");
        assert_eq!(input.insert_str("a b\n", |c| c != ' '), Some(' '));
        assert_eq!(input.text(), "abü");
    }

    #[test]
    fn a_masked_field_never_shows_its_text_in_debug() {
        let input = TextInput::masked("s3cr3t-value");
        let shown = format!("{input:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("12 chars"), "{shown}");
    }
}
