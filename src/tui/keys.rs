//! The dashboard's keys, written once: this table drives the dispatch in `update`, the
//! `?` help and the status-line hint, so a key cannot be bound without being documented
//! or documented without being bound.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key does on the account list (no popup open, not filtering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Filter,
    ClearFilter,
    Login,
    Refresh,
    Logout,
    Add,
    Change,
    Remove,
    CopyAccess,
    CopyId,
    CopyHeader,
    ToggleClaims,
    ClaimsDown,
    ClaimsUp,
    Reveal,
    Introspect,
    Userinfo,
    Inspect,
    CompareRefresh,
    Waiting,
    ActivityPane,
    Help,
    Quit,
}

/// One line of the help: the keys, how they are shown, what they do, and the few words
/// of the status-line hint (for the keys worth a place there).
#[derive(Debug)]
pub struct Binding {
    pub keys: &'static [KeyCode],
    pub shown: &'static str,
    pub help: &'static str,
    pub hint: Option<&'static str>,
    pub action: Action,
}

const fn bind(
    keys: &'static [KeyCode],
    shown: &'static str,
    help: &'static str,
    hint: Option<&'static str>,
    action: Action,
) -> Binding {
    Binding {
        keys,
        shown,
        help,
        hint,
        action,
    }
}

use Action::*;
use KeyCode::{
    Char, Down as KDown, End, Enter, Esc, Home, PageDown as KPageDown, PageUp as KPageUp, Up as KUp,
};

/// Every key of the account list, in the order the help shows them.
pub const KEYS: &[Binding] = &[
    bind(&[KDown, Char('j')], "↓ / j", "move down", None, Down),
    bind(&[KUp, Char('k')], "↑ / k", "move up", None, Up),
    bind(&[KPageDown], "PgDn", "ten rows down", None, PageDown),
    bind(&[KPageUp], "PgUp", "ten rows up", None, PageUp),
    bind(&[Home, Char('g')], "g / Home", "first account", None, Top),
    bind(&[End, Char('G')], "G / End", "last account", None, Bottom),
    bind(
        &[Char('/')],
        "/",
        "filter accounts by name or provider (a new filter each time)",
        Some("filter"),
        Filter,
    ),
    bind(&[Esc], "Esc", "clear the filter", None, ClearFilter),
    bind(
        &[Char('l'), Enter],
        "l / Enter",
        "log in with the account's flow",
        Some("login"),
        Login,
    ),
    bind(&[Char('r')], "r", "refresh now", Some("refresh"), Refresh),
    bind(
        &[Char('x')],
        "x",
        "log out (revoke and delete; asks first)",
        Some("logout"),
        Logout,
    ),
    bind(
        &[Char('A')],
        "A",
        "add an account (writes config.toml after a review)",
        Some("add"),
        Add,
    ),
    bind(
        &[Char('e')],
        "e",
        "change the account or its provider (issuer, client, secret)",
        None,
        Change,
    ),
    bind(
        &[Char('D')],
        "D",
        "remove the account (logs out first; asks first)",
        None,
        Remove,
    ),
    bind(
        &[Char('c')],
        "c",
        "copy the access token",
        Some("copy (i ID, a header)"),
        CopyAccess,
    ),
    bind(&[Char('i')], "i", "copy the ID token", None, CopyId),
    bind(
        &[Char('a')],
        "a",
        "copy the Authorization header",
        None,
        CopyHeader,
    ),
    bind(
        &[Char('t')],
        "t",
        "claims of the access token / the ID token",
        Some("claims"),
        ToggleClaims,
    ),
    bind(
        &[Char('J')],
        "J",
        "scroll the claims down",
        None,
        ClaimsDown,
    ),
    bind(&[Char('K')], "K", "scroll the claims up", None, ClaimsUp),
    bind(
        &[Char('v')],
        "v",
        "reveal / mask the access token",
        None,
        Reveal,
    ),
    bind(
        &[Char('n')],
        "n",
        "introspect the access token at the provider",
        None,
        Introspect,
    ),
    bind(
        &[Char('U')],
        "U",
        "the provider's userinfo for the account",
        None,
        Userinfo,
    ),
    bind(
        &[Char('I')],
        "I / paste",
        "inspect any JWT: verify it (a, u, s, f), edit and sign it (e, S), compare (d)",
        None,
        Inspect,
    ),
    bind(
        &[Char('d')],
        "d",
        "compare the access token with the one before its last refresh",
        None,
        CompareRefresh,
    ),
    bind(
        &[Char('w')],
        "w",
        "answer the agent's waiting requests (who asks, from where, for what)",
        None,
        Waiting,
    ),
    bind(
        &[Char('L')],
        "L",
        "the agent's activity: the selected account's, everyone's, off",
        None,
        ActivityPane,
    ),
    bind(&[Char('?')], "?", "this help", Some("keys"), Help),
    bind(&[Char('q')], "q / Ctrl-C", "quit", Some("quit"), Quit),
];

/// The action of `key` on the account list, if any. Keys with Ctrl or Alt are never
/// actions here (Ctrl-C quits before this is asked).
pub fn action(key: &KeyEvent) -> Option<Action> {
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    KEYS.iter()
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.action)
}

/// The status line's hint: `l login  r refresh  …`.
pub fn hint() -> String {
    KEYS.iter()
        .filter_map(|b| {
            let key = b.shown.split(" / ").next().unwrap_or(b.shown);
            b.hint.map(|h| format!("{key} {h}"))
        })
        .collect::<Vec<_>>()
        .join("  ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn no_key_is_bound_twice_and_every_action_has_a_line() {
        let mut seen = HashSet::new();
        for binding in KEYS {
            for key in binding.keys {
                assert!(seen.insert(*key), "{key:?} is bound twice");
            }
        }
        let actions: HashSet<Action> = KEYS.iter().map(|b| b.action).collect();
        assert_eq!(actions.len(), KEYS.len(), "one line per action");
    }

    #[test]
    fn every_listed_key_dispatches_to_its_action() {
        for binding in KEYS {
            for code in binding.keys {
                let key = KeyEvent::new(*code, KeyModifiers::NONE);
                assert_eq!(action(&key), Some(binding.action), "{code:?}");
            }
        }
        let ctrl_l = KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL);
        assert_eq!(action(&ctrl_l), None);
    }

    #[test]
    fn the_hint_comes_from_the_table() {
        assert_eq!(
            hint(),
            "/ filter  l login  r refresh  x logout  A add  c copy (i ID, a header)  t claims  ? keys  q quit"
        );
    }
}
