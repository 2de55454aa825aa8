//! Terminal input into messages. Every event that is ready is read before any is acted
//! on, and the batch is judged whole: a burst of text keys that arrived together is a
//! paste the terminal did not bracket (tmux `paste-buffer` without `-p`, terminals
//! without bracketed paste), and becomes one [`Msg::Paste`], never a string of commands.
//! A JWT typed into the dashboard as keys would otherwise log an account out (`x`, then a
//! `y` in the token) or remove one.

use super::event::Msg;
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// Fewer text keys than this in one batch are typing, not a paste.
pub const PASTE_MIN_KEYS: usize = 8;
/// A batch ends after this long without input: far below what a person notices, far
/// above the gaps between the reads of one paste.
const QUIET: Duration = Duration::from_millis(10);

/// Reads the terminal on a thread of its own until the channel closes; each batch of
/// ready events is sent as the messages [`messages`] makes of it.
///
/// Not on the runtime's thread: crossterm retries a read that returns nothing without
/// end, and a closed terminal returns nothing at once, forever. On a thread of its own
/// that spin cannot stop the dashboard from noticing (a SIGHUP, a drawing that fails)
/// and ending the process; on the runtime's one thread it would hang the dashboard at
/// full CPU for good.
pub fn spawn(tx: UnboundedSender<Msg>) {
    let reader = std::thread::Builder::new()
        .name("terminal input".into())
        .spawn({
            let tx = tx.clone();
            move || read(&tx)
        });
    if reader.is_err() {
        let _ = tx.send(Msg::TerminalGone);
    }
}

fn read(tx: &UnboundedSender<Msg>) {
    while let Ok(first) = event::read() {
        let mut batch = vec![first];
        // Everything the terminal sends without a pause belongs to this batch (a paste
        // comes in several reads).
        while matches!(event::poll(QUIET), Ok(true)) {
            match event::read() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        for msg in messages(batch) {
            if tx.send(msg).is_err() {
                return;
            }
        }
    }
    // The terminal's input failed: it is gone.
    let _ = tx.send(Msg::TerminalGone);
}

/// The messages of one batch of terminal events. A run of at least
/// [`PASTE_MIN_KEYS`] text keys (plain characters and Enter) with three or more
/// different characters is a paste; a held key (its auto-repeat) stays keys.
pub fn messages(batch: Vec<Event>) -> Vec<Msg> {
    let mut out = Vec::new();
    let mut run: Vec<KeyEvent> = Vec::new();
    for event in batch {
        match event {
            Event::Key(key) if key.kind == KeyEventKind::Release => {}
            Event::Key(key) if text_of(&key).is_some() => run.push(key),
            other => {
                flush(&mut run, &mut out);
                match other {
                    Event::Key(key) => out.push(Msg::Key(key)),
                    Event::Paste(text) => out.push(Msg::Paste(text)),
                    Event::Resize(..) => out.push(Msg::Resized),
                    _ => {}
                }
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

fn flush(run: &mut Vec<KeyEvent>, out: &mut Vec<Msg>) {
    let text: String = run.iter().filter_map(text_of).collect();
    let distinct = {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        chars.len()
    };
    if run.len() >= PASTE_MIN_KEYS && distinct >= 3 {
        out.push(Msg::Paste(text));
    } else {
        out.extend(run.iter().map(|k| Msg::Key(*k)));
    }
    run.clear();
}

/// The character a key types, for keys that pasted text is made of.
fn text_of(key: &KeyEvent) -> Option<char> {
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    match key.code {
        KeyCode::Char(c) => Some(c),
        // A line break inside a burst is text: as a key it could submit a form.
        KeyCode::Enter => Some('\n'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<Event> {
        text.chars()
            .map(|c| {
                let code = match c {
                    '\n' => KeyCode::Enter,
                    c => KeyCode::Char(c),
                };
                Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
            })
            .collect()
    }

    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4eHl5In0.c2lnbmF0dXJlLXl5eHg";

    #[test]
    fn a_jwt_typed_as_keys_in_one_batch_is_one_paste() {
        let msgs = messages(keys(JWT));
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(matches!(&msgs[0], Msg::Paste(t) if t == JWT), "{msgs:?}");
    }

    #[test]
    fn typing_and_a_held_key_stay_keys() {
        assert!(messages(keys("x")).iter().all(|m| matches!(m, Msg::Key(_))));
        assert_eq!(messages(keys("yes")).len(), 3);
        // Auto-repeat of j that piled up while a frame was drawn.
        let held = messages(keys("jjjjjjjjjjjj"));
        assert_eq!(held.len(), 12);
        assert!(held.iter().all(|m| matches!(m, Msg::Key(_))));
    }

    #[test]
    fn keys_around_a_burst_keep_their_place() {
        let mut batch = vec![Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE))];
        batch.extend(keys("first line\nsecond"));
        batch.push(Event::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        let msgs = messages(batch);
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(matches!(&msgs[0], Msg::Key(k) if k.code == KeyCode::Down));
        assert!(matches!(&msgs[1], Msg::Paste(t) if t == "first line\nsecond"));
        assert!(matches!(&msgs[2], Msg::Key(k) if k.code == KeyCode::Esc));
    }
}
