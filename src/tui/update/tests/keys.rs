//! Keys of the list: filter, copy, paste, quit, and the key table.

use super::*;

#[test]
fn filter_narrows_and_esc_clears() {
    let mut m = model(vec![
        row("alice-work", None),
        row("bob", None),
        row("alice-home", None),
    ]);
    update(&mut m, ch('/'));
    for c in "ALICE".chars() {
        update(&mut m, ch(c));
    }
    let names: Vec<&str> = m
        .visible()
        .iter()
        .map(|&i| m.accounts[i].name.as_str())
        .collect();
    assert_eq!(names, vec!["alice-home", "alice-work"]);
    update(&mut m, key(KeyCode::Enter));
    assert!(!m.filtering);
    update(&mut m, ch('j'));
    assert_eq!(
        m.selected_row().map(|r| r.name.as_str()),
        Some("alice-work")
    );
    update(&mut m, ch('j'));
    assert_eq!(
        m.selected_row().map(|r| r.name.as_str()),
        Some("alice-work"),
        "stays on the last match"
    );
    update(&mut m, key(KeyCode::Esc));
    assert_eq!(m.visible().len(), 3);
}

/// The record of account "a", read again for a copy of `what`.
fn read_for_copy(what: CopyWhat, result: Result<Option<Box<TokenRecord>>, Failure>) -> Msg {
    Msg::Done(Outcome::ReadForCopy {
        account: "a".into(),
        what,
        clear_after: None,
        result,
    })
}

#[test]
fn copy_commands_carry_the_secret_and_the_status_never_shows_it() {
    let mut m = model(vec![row(
        "a",
        Some(tokens("secret-token-text", 0, 600, true)),
    )]);
    // A copy reads the record again first: another process may have refreshed.
    let commands = update(&mut m, ch('a'));
    let [Command::CopyStored { account, what, .. }] = &commands[..] else {
        panic!("{commands:?}");
    };
    assert_eq!((account.as_str(), *what), ("a", CopyWhat::Header));
    let stored = |access: &str, issued: i64| {
        Ok(Some(Box::new(crate::token::TokenRecord::new(tokens(
            access, issued, 600, true,
        )))))
    };
    let commands = update(
        &mut m,
        read_for_copy(CopyWhat::Header, stored("refreshed-elsewhere", 5)),
    );
    // The row's new tokens are checked (Verify) and the stored ones copied.
    let Some(Command::Copy { what, text, .. }) =
        commands.iter().find(|c| matches!(c, Command::Copy { .. }))
    else {
        panic!("{commands:?}");
    };
    assert_eq!(text.expose(), "Authorization: Bearer refreshed-elsewhere");
    assert_eq!(what, "the Authorization header of 'a'");
    assert_eq!(
        m.accounts[0]
            .tokens
            .as_ref()
            .map(|t| t.access_token.expose()),
        Some("refreshed-elsewhere"),
        "the row follows the store"
    );
    update(
        &mut m,
        Msg::Done(Outcome::Copied {
            what: what.clone(),
            result: Ok("OSC 52 via the terminal".into()),
        }),
    );
    let status = m
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(
        status.contains("Copied the Authorization header of 'a'"),
        "{status}"
    );
    assert!(!status.contains("secret-token-text"));
    // A stored token that has expired is not copied.
    let commands = update(
        &mut m,
        read_for_copy(CopyWhat::Access, stored("dead", -3600)),
    );
    assert!(
        commands.iter().all(|c| !matches!(c, Command::Copy { .. })),
        "{commands:?}"
    );
    assert!(
        m.status
            .as_ref()
            .is_some_and(|s| s.text.contains("has expired")),
        "{:?}",
        m.status
    );
    // A stored token with a line break (an edited store) is not copied either.
    let commands = update(
        &mut m,
        read_for_copy(CopyWhat::Access, stored("good\nrm -rf ~", 10)),
    );
    assert!(commands.iter().all(|c| !matches!(c, Command::Copy { .. })));
    assert!(
        m.status
            .as_ref()
            .is_some_and(|s| s.text.contains("cannot be copied")),
        "{:?}",
        m.status
    );
    // No ID token: an error, no copy.
    let commands = update(&mut m, read_for_copy(CopyWhat::Id, stored("fine", 10)));
    assert!(commands.iter().all(|c| !matches!(c, Command::Copy { .. })));
    assert!(
        m.status
            .as_ref()
            .is_some_and(|s| s.text.contains("no ID token"))
    );
}

#[test]
fn a_broken_account_refuses_every_key_with_its_reason() {
    let mut m = model(vec![AccountRow::broken(
        "bad",
        "config file 'c', line 4: unknown field `scope`".into(),
    )]);
    for key in ['c', 'r', 'l', 'a'] {
        assert!(update(&mut m, ch(key)).is_empty(), "{key}");
        assert!(
            m.status
                .as_ref()
                .is_some_and(|s| s.text.contains("line 4") || s.text.contains("no token")),
            "{key}: {:?}",
            m.status
        );
    }
    assert_eq!(m.accounts[0].provider, "", "no provider group invented");
}

#[test]
fn paste_opens_the_inspector() {
    let mut m = Model::new(
        Setup::FirstRun {
            config_path: "c.toml".into(),
        },
        vec![],
        t(0),
    );
    update(&mut m, Msg::Paste("  not-a-jwt  ".into()));
    let Some(Popup::Inspector(inspector)) = &m.popup else {
        panic!("inspector")
    };
    assert_eq!(inspector.decoded, Some(Ok(crate::jwt::Decoded::Opaque)));
    update(&mut m, Msg::Paste("x".repeat(MAX_PASTE_BYTES + 1)));
    let Some(Popup::Inspector(inspector)) = &m.popup else {
        panic!("inspector")
    };
    assert!(matches!(&inspector.decoded, Some(Err(e)) if e.contains("KiB")));
    update(&mut m, key(KeyCode::Esc));
    assert!(m.popup.is_none());
}

#[test]
fn quit_keys() {
    let mut m = model(vec![]);
    update(&mut m, ch('q'));
    assert!(m.quit);
    let mut m = model(vec![row("a", None)]);
    update(&mut m, ch('l'));
    let commands = update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert!(m.quit);
    assert_eq!(commands, vec![Command::CancelLogin]);
}

/// Every key of the table does something on a list with a logged-in account: a key in
/// the help that nothing handles fails here (dispatch itself comes from the same table).
#[test]
fn every_key_in_the_table_does_something() {
    for binding in crate::tui::keys::KEYS {
        let mut m = model(vec![
            row("a", Some(tokens("t1", 0, 600, true))),
            row("b", Some(tokens("t2", 0, 600, true))),
            row("c", Some(tokens("t3", 0, 600, true))),
        ]);
        m.selected = 1;
        m.claims.scroll = 1;
        if binding.action == crate::tui::keys::Action::ClearFilter {
            m.filter.set("b");
        }
        let before = format!("{m:?}");
        let commands = update(&mut m, key(binding.keys[0]));
        assert!(
            !commands.is_empty() || format!("{m:?}") != before,
            "{:?} ({}) did nothing",
            binding.action,
            binding.shown
        );
    }
}
