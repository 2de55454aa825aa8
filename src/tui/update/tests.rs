use super::*;
use crate::config::Flow;
use crate::config::edit::ConfigText;
use crate::token::TokenRecord;
use crate::token::TokenSet;
use crate::tui::editor::ReviewAction;
use crate::tui::event::CopyWhat;
use crate::tui::event::{ConfigWrite, Failure, LoginProgress, Outcome};
use crate::tui::model::{AccountRow, Health, LoginStage, Popup, TokenStatus};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("ts")
}

fn tokens(access: &str, issued: i64, lifetime: i64, refresh: bool) -> TokenSet {
    let set = TokenSet::bearer(access, t(issued))
        .with_scopes(&["openid"])
        .expiring_at(t(issued + lifetime));
    if refresh {
        set.with_refresh_token("rt")
    } else {
        set
    }
}

fn row(name: &str, tokens: Option<TokenSet>) -> AccountRow {
    let mut row = AccountRow::new(name, "idp", Flow::Device);
    row.health = Health::Fine;
    row.tokens = tokens;
    row
}

fn model(rows: Vec<AccountRow>) -> Model {
    Model::new(Setup::Ready, rows, t(0))
}

/// A tick's commands without the periodic store reload (tested on its own).
fn tick(m: &mut Model, secs: i64) -> Vec<Command> {
    update(m, Msg::Tick(t(secs)))
        .into_iter()
        .filter(|c| !matches!(c, Command::LoadAll | Command::CheckConfig))
        .collect()
}

/// The accounts a list of commands refreshes.
fn refreshes(commands: &[Command]) -> Vec<&str> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Refresh { account, .. } => Some(account.as_str()),
            _ => None,
        })
        .collect()
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

fn refreshed(account: &str, result: Result<TokenSet, Failure>) -> Msg {
    Msg::Done(Outcome::Refreshed {
        account: account.into(),
        result,
    })
}

fn fail(message: &str, needs_login: bool) -> Failure {
    Failure {
        message: message.into(),
        needs_login,
        other_person: false,
    }
}

#[test]
fn a_login_as_another_person_asks_and_only_enter_replaces() {
    let mut m = model(vec![row("bob-test", None)]);
    let other = Failure {
        message: "login returned carol@example.test, but 'bob-test' is bob@example.test".into(),
        needs_login: false,
        other_person: true,
    };
    update(
        &mut m,
        Msg::Done(Outcome::Login {
            account: "bob-test".into(),
            progress: LoginProgress::Finished(Err(other)),
        }),
    );
    assert!(matches!(m.popup, Some(Popup::Confirm(_))));
    // Letters of a pasted token never answer.
    for c in "eyJhbGciOiJSUzI1NiJ9yY".chars() {
        assert_eq!(update(&mut m, ch(c)), vec![], "{c}");
    }
    assert!(matches!(m.popup, Some(Popup::Confirm(_))));
    // The highlight starts on "keep"; Enter there changes nothing.
    update(&mut m, key(KeyCode::Right));
    assert_eq!(
        update(&mut m, key(KeyCode::Enter)),
        vec![Command::Login {
            account: "bob-test".into(),
            replace_user: true
        }]
    );
    assert!(matches!(m.popup, Some(Popup::Login { .. })));
}

#[test]
fn ticks_refresh_ahead_of_expiry_once() {
    // One hour lifetime: due about 6 minutes before expiry.
    let mut m = model(vec![row("a", Some(tokens("t1", 0, 3600, true)))]);
    assert!(tick(&mut m, 3000).is_empty(), "too early");
    assert_eq!(refreshes(&tick(&mut m, 3300)), vec!["a"]);
    assert_eq!(m.accounts[0].status(m.now), TokenStatus::Refreshing);
    assert!(tick(&mut m, 3301).is_empty(), "not twice while in flight");
    update(&mut m, refreshed("a", Ok(tokens("t2", 3301, 3600, true))));
    assert_eq!(
        m.accounts[0]
            .tokens
            .as_ref()
            .map(|t| t.access_token.expose()),
        Some("t2")
    );
    assert_eq!(m.accounts[0].last_refresh, Some(t(3301)));
    assert!(tick(&mut m, 3302).is_empty());
}

#[test]
fn tokens_without_refresh_token_are_left_alone() {
    let mut m = model(vec![row("a", Some(tokens("t1", 0, 60, false)))]);
    assert!(tick(&mut m, 100).is_empty());
    // Nothing can renew it: as in `list`, only a login helps.
    assert_eq!(m.accounts[0].status(m.now), TokenStatus::NeedsLogin);
}

#[test]
fn a_broken_account_row_says_config_error_and_why() {
    let broken = AccountRow::broken(
        "bad",
        "config file 'c', line 4: unknown field `scope`".into(),
    );
    let mut m = model(vec![row("a", Some(tokens("t1", 0, 3600, true))), broken]);
    assert!(
        tick(&mut m, 10).is_empty(),
        "nothing to refresh or load for it"
    );
    let row = m.accounts.iter().find(|r| r.name == "bad").expect("row");
    assert_eq!(row.status(m.now), TokenStatus::ConfigError);
    assert_eq!(row.status(m.now).label(), "config error");
    assert!(row.health.error().is_some_and(|e| e.contains("line 4")));
}

#[test]
fn client_credentials_accounts_are_fetched_again() {
    let mut r = row("svc", Some(tokens("t1", 0, 600, false)));
    r.flow = Flow::ClientCredentials;
    let mut m = model(vec![r]);
    assert_eq!(refreshes(&tick(&mut m, 580)), vec!["svc"]);
}

#[test]
fn failures_back_off_exponentially() {
    let mut m = model(vec![row("a", Some(tokens("t1", 0, 600, true)))]);
    assert_eq!(tick(&mut m, 570).len(), 1);
    update(
        &mut m,
        refreshed("a", Err(fail("connection refused", false))),
    );
    let retry = m.accounts[0].health.retry().expect("retry scheduled");
    assert_eq!((retry.attempt, retry.at), (1, t(575)));
    assert!(m.accounts[0].health.error() == Some("connection refused"));
    let status = m.status.clone().expect("status");
    assert!(
        status.text.contains("stays valid for") && status.text.contains("retrying in 5 s"),
        "{status:?}"
    );
    assert_eq!(
        status.level,
        crate::tui::model::Level::Info,
        "a still valid token: not alarming"
    );
    assert!(tick(&mut m, 574).is_empty());
    assert_eq!(refreshes(&tick(&mut m, 575)), vec!["a"]);
    update(
        &mut m,
        refreshed("a", Err(fail("connection refused", false))),
    );
    assert_eq!(
        m.accounts[0].health.retry().map(|r| (r.attempt, r.at)),
        Some((2, t(585)))
    );
    tick(&mut m, 585);
    update(&mut m, refreshed("a", Err(fail("timeout", false))));
    assert_eq!(
        m.accounts[0].health.retry().map(|r| (r.attempt, r.at)),
        Some((3, t(605)))
    );
    // Once the token has expired, failing refreshes are alarming.
    assert_eq!(refreshes(&tick(&mut m, 605)), vec!["a"]);
    update(&mut m, refreshed("a", Err(fail("timeout", false))));
    let status = m.status.clone().expect("status");
    assert_eq!(status.level, crate::tui::model::Level::Error, "{status:?}");
    assert!(status.text.contains("retry 4 in 40 s"), "{status:?}");
    // Success clears the trouble.
    tick(&mut m, 645);
    update(&mut m, refreshed("a", Ok(tokens("t2", 645, 600, true))));
    assert_eq!(m.accounts[0].health.retry(), None);
    assert_eq!(m.accounts[0].health.error(), None);
}

#[test]
fn invalid_grant_means_login_needed_and_no_more_retries() {
    let mut m = model(vec![row("a", Some(tokens("t1", 0, 600, true)))]);
    tick(&mut m, 570);
    update(
        &mut m,
        refreshed("a", Err(fail("invalid_grant (grant revoked)", true))),
    );
    assert_eq!(m.accounts[0].status(m.now), TokenStatus::NeedsLogin);
    assert_eq!(TokenStatus::NeedsLogin.label(), "login needed");
    for s in [600, 700, 3600] {
        assert!(tick(&mut m, s).is_empty());
    }
    // Another process logs in: the reload clears it.
    update(
        &mut m,
        Msg::Done(Outcome::Loaded {
            logged_out: false,
            account: "a".into(),
            result: Ok(Some(Box::new(crate::token::TokenRecord::new(tokens(
                "t9", 3600, 600, true,
            ))))),
        }),
    );
    assert!(matches!(
        m.accounts[0].status(m.now),
        TokenStatus::Valid { .. }
    ));
}

#[test]
fn the_store_is_read_again_every_30_seconds() {
    let mut m = model(vec![row("a", None)]);
    // Every tick looks at the config file; every 30 s the store is read again.
    assert_eq!(update(&mut m, Msg::Tick(t(29))), vec![Command::CheckConfig]);
    assert_eq!(
        update(&mut m, Msg::Tick(t(30))),
        vec![Command::CheckConfig, Command::LoadAll]
    );
    assert_eq!(update(&mut m, Msg::Tick(t(31))), vec![Command::CheckConfig]);
}

#[test]
fn a_config_changed_by_hand_is_followed_or_its_error_shown() {
    let mut m = model(vec![row("a", Some(tokens("at", 0, 3600, true)))]);
    let reloaded = |names: &[&str]| {
        Msg::Done(Outcome::ConfigChanged(Ok(super::super::event::Reloaded {
            rows: names
                .iter()
                .map(|n| AccountRow::new(n, "idp", Flow::Browser))
                .collect(),
            clipboard_clear: None,
            here: None,
        })))
    };
    assert_eq!(
        update(&mut m, reloaded(&["a", "b"])),
        vec![Command::LoadAll]
    );
    assert_eq!(m.accounts.len(), 2);
    let a = m.accounts.iter().find(|r| r.name == "a").expect("a");
    assert!(a.tokens.is_some(), "what was known of 'a' stays");
    assert_eq!(a.flow, Flow::Browser, "its settings follow the file");

    // A broken save keeps the dashboard on the last good config.
    let commands = update(
        &mut m,
        Msg::Done(Outcome::ConfigChanged(Err(
            "config file 'c', line 3: bad".into()
        ))),
    );
    assert!(commands.is_empty());
    assert_eq!(m.setup, Setup::Ready);
    assert_eq!(m.accounts.len(), 2);
    assert!(
        m.status
            .clone()
            .expect("status")
            .text
            .contains("still using the previous one")
    );

    // On the welcome screen, a file written by hand starts the dashboard.
    let mut first = Model::new(
        Setup::FirstRun {
            config_path: "c".into(),
        },
        Vec::new(),
        t(0),
    );
    update(&mut first, reloaded(&["me"]));
    assert_eq!(first.setup, Setup::Ready);
    assert_eq!(first.accounts.len(), 1);
}

#[test]
fn device_login_shows_the_code_then_the_outcome() {
    let mut m = model(vec![row("a", None), row("b", None)]);
    assert_eq!(
        update(&mut m, ch('l')),
        vec![Command::Login {
            account: "a".into(),
            replace_user: false
        }]
    );
    assert_eq!(m.accounts[0].status(m.now), TokenStatus::LoggingIn);
    assert!(update(&mut m, ch('l')).is_empty(), "one login at a time");
    update(
        &mut m,
        Msg::Done(Outcome::Login {
            account: "a".into(),
            progress: LoginProgress::Device {
                user_code: "ABCD-EFGH".into(),
                verification_uri: "https://idp/device".into(),
                complete: Some("https://idp/device?user_code=ABCD-EFGH".into()),
                expires_in: Duration::from_secs(600),
            },
        }),
    );
    let Some(Popup::Login {
        stage:
            LoginStage::Device {
                user_code,
                expires_at,
                ..
            },
        ..
    }) = &m.popup
    else {
        panic!("device popup expected: {:?}", m.popup);
    };
    assert_eq!(user_code, "ABCD-EFGH");
    assert_eq!(*expires_at, t(600));
    assert_eq!(
        update(&mut m, ch('o')),
        vec![Command::OpenBrowser(
            "https://idp/device?user_code=ABCD-EFGH".into()
        )]
    );
    assert!(matches!(
        &update(&mut m, ch('c'))[..],
        [Command::Copy { .. }]
    ));
    update(
        &mut m,
        Msg::Done(Outcome::Login {
            account: "a".into(),
            progress: LoginProgress::Finished(Ok(Box::new(TokenRecord::new(tokens(
                "t1", 0, 600, true,
            ))))),
        }),
    );
    assert!(m.popup.is_none());
    assert!(matches!(
        m.accounts[0].status(m.now),
        TokenStatus::Valid { .. }
    ));
    assert_eq!(
        m.status.as_ref().map(|s| s.text.as_str()),
        Some("Logged in to 'a'")
    );
}

#[test]
fn a_denied_login_shows_in_the_row() {
    let mut m = model(vec![row("a", None)]);
    update(&mut m, ch('l'));
    update(
        &mut m,
        Msg::Done(Outcome::Login {
            account: "a".into(),
            progress: LoginProgress::Finished(Err(fail(
                "the login was denied: End-User aborted",
                false,
            ))),
        }),
    );
    assert!(m.popup.is_none());
    assert_eq!(m.accounts[0].status(m.now), TokenStatus::NoToken);
    assert_eq!(
        m.accounts[0].health.error(),
        Some("the login was denied: End-User aborted")
    );
    assert!(m.status.as_ref().is_some_and(|s| s.text.contains("denied")));
}

#[test]
fn browser_login_opens_the_browser_and_esc_cancels() {
    let mut m = model(vec![row("a", None)]);
    update(&mut m, key(KeyCode::Enter));
    let commands = update(
        &mut m,
        Msg::Done(Outcome::Login {
            account: "a".into(),
            progress: LoginProgress::Browser {
                url: "https://idp/authorize?x".into(),
            },
        }),
    );
    assert_eq!(
        commands,
        vec![Command::OpenBrowser("https://idp/authorize?x".into())]
    );
    assert_eq!(
        update(&mut m, key(KeyCode::Esc)),
        vec![Command::CancelLogin]
    );
    assert!(m.popup.is_none());
    assert_eq!(m.accounts[0].status(m.now), TokenStatus::NoToken);
    // A late result of the cancelled task does not reopen anything.
    update(
        &mut m,
        Msg::Done(Outcome::Login {
            account: "a".into(),
            progress: LoginProgress::Browser { url: "u".into() },
        }),
    );
    assert!(m.popup.is_none());
}

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

#[test]
fn logout_asks_first() {
    let mut m = model(vec![row("a", Some(tokens("t1", 0, 600, true)))]);
    assert!(update(&mut m, ch('x')).is_empty());
    assert!(matches!(m.popup, Some(Popup::Confirm(_))));
    // No letter answers: `y` and `n` occur in tokens.
    for c in ['y', 'Y', 'n', 'f', 'q'] {
        assert!(update(&mut m, ch(c)).is_empty());
        assert!(matches!(m.popup, Some(Popup::Confirm(_))), "{c}");
    }
    // Enter on the highlighted "Keep" keeps.
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty());
    assert!(m.popup.is_none());
    update(&mut m, ch('x'));
    assert!(update(&mut m, key(KeyCode::Esc)).is_empty());
    assert!(m.popup.is_none());
    update(&mut m, ch('x'));
    update(&mut m, key(KeyCode::Right));
    assert_eq!(
        update(&mut m, key(KeyCode::Enter)),
        vec![Command::Logout("a".into())]
    );
    update(
        &mut m,
        Msg::Done(Outcome::LoggedOut {
            account: "a".into(),
            result: Ok(vec![]),
        }),
    );
    assert_eq!(m.accounts[0].status(m.now), TokenStatus::NoToken);
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

#[test]
fn new_tokens_are_verified_in_the_background() {
    let mut m = model(vec![row("a", None)]);
    update(&mut m, ch('l'));
    let commands = update(
        &mut m,
        Msg::Done(Outcome::Login {
            account: "a".into(),
            progress: LoginProgress::Finished(Ok(Box::new(TokenRecord::new(tokens(
                "t1", 0, 600, true,
            ))))),
        }),
    );
    assert_eq!(commands, vec![verify("a", tokens("t1", 0, 600, true))]);
    let trust = crate::tui::model::Trust {
        access: Some(crate::tui::model::Checked {
            verdict: Ok(crate::jwt::verify::Verdict::Invalid),
            risks: vec![],
        }),
        id: None,
    };
    update(&mut m, verified("a", "t1", trust.clone()));
    assert_eq!(m.accounts[0].trust, Some(trust.clone()));
    // A refresh brings new tokens: the old verdict is dropped and a new check asked for.
    let commands = update(&mut m, refreshed("a", Ok(tokens("t2", 10, 600, true))));
    assert_eq!(commands, vec![verify("a", tokens("t2", 10, 600, true))]);
    assert_eq!(m.accounts[0].trust, None);
    // The check of the old tokens finishes late: its verdict is not shown for the new ones.
    update(&mut m, verified("a", "t1", trust.clone()));
    assert_eq!(m.accounts[0].trust, None, "a verdict for t1 is not t2's");
    let good = crate::tui::model::Trust {
        access: None,
        id: None,
    };
    update(&mut m, verified("a", "t2", good.clone()));
    assert_eq!(m.accounts[0].trust, Some(good));
}

fn verify(account: &str, tokens: TokenSet) -> Command {
    Command::Verify {
        account: account.into(),
        tokens: Box::new(tokens),
    }
}

fn verified(account: &str, access: &str, trust: crate::tui::model::Trust) -> Msg {
    Msg::Done(Outcome::Verified {
        account: account.into(),
        access_token: Secret::new(access),
        trust,
    })
}

#[test]
fn the_inspector_verifies_against_a_typed_issuer_or_the_selected_account() {
    let mut m = model(vec![row("a", None)]);
    update(&mut m, Msg::Paste("e30.e30.sig".into()));
    update(&mut m, ch('u'));
    for c in "https://idp.example".chars() {
        update(&mut m, ch(c));
    }
    let commands = update(&mut m, key(KeyCode::Enter));
    let [Command::VerifyPasted { token, against }] = &commands[..] else {
        panic!("{commands:?}")
    };
    assert_eq!(token.expose(), "e30.e30.sig");
    assert_eq!(
        *against,
        crate::tui::event::VerifyAgainst::Issuer("https://idp.example".into())
    );
    let commands = update(&mut m, ch('a'));
    assert!(
        matches!(&commands[..], [Command::VerifyPasted { against: crate::tui::event::VerifyAgainst::Account(a), .. }] if a == "a")
    );
    let verdict = |token: &str| {
        Msg::Done(Outcome::InspectorChecked {
            token: Secret::new(token),
            checked: crate::tui::model::Checked {
                verdict: Ok(crate::jwt::verify::Verdict::AlgNone),
                risks: vec![],
            },
        })
    };
    // A verdict on a token the inspector no longer shows is dropped.
    update(&mut m, verdict("e30.e30.other"));
    let Some(Popup::Inspector(inspector)) = &m.popup else {
        panic!("inspector")
    };
    assert!(inspector.checked.is_none());
    update(&mut m, verdict("e30.e30.sig"));
    let Some(Popup::Inspector(inspector)) = &m.popup else {
        panic!("inspector")
    };
    assert!(inspector.checked.is_some());
}

#[test]
fn introspection_and_userinfo_open_a_pane() {
    let mut m = model(vec![row("a", Some(tokens("t1", 0, 600, true)))]);
    assert_eq!(
        update(&mut m, ch('n')),
        vec![Command::Introspect("a".into())]
    );
    assert_eq!(update(&mut m, ch('U')), vec![Command::Userinfo("a".into())]);
    update(
        &mut m,
        Msg::Done(Outcome::ProviderJson {
            title: "Userinfo of 'a'".into(),
            result: Ok(serde_json::json!({"sub": "alice"})),
        }),
    );
    assert!(matches!(&m.popup, Some(Popup::Json { title, .. }) if title == "Userinfo of 'a'"));
    update(&mut m, key(KeyCode::Esc));
    assert!(m.popup.is_none());
}

const CONFIG: &str = "# mine\n[providers.idp]\nissuer = \"https://idp.example\"\nclient_id = \"c\"\nflow = \"device\"\n\n[accounts.a]\nprovider = \"idp\"\n";

fn config_read(purpose: ConfigPurpose, text: Option<&str>) -> Msg {
    Msg::Done(Outcome::ConfigRead {
        purpose,
        result: Ok(text.map(ConfigText::from)),
    })
}

/// The one command a confirmed removal or provider move gives.
fn logout_then_write(commands: &[Command]) -> (&str, bool, &ConfigWrite) {
    match commands {
        [
            Command::LogoutThenWrite {
                account,
                revoke,
                write,
            },
        ] => (account.as_str(), *revoke, write),
        other => panic!("{other:?}"),
    }
}

fn typed(m: &mut Model, text: &str) {
    for c in text.chars() {
        update(m, ch(c));
    }
}

#[test]
fn adding_an_account_reads_edits_reviews_writes_and_logs_in() {
    let mut m = model(vec![row("a", None)]);
    m.config_path = "/cfg/config.toml".into();
    assert_eq!(
        update(&mut m, ch('A')),
        vec![Command::ReadConfig(ConfigPurpose::Add)]
    );
    update(&mut m, config_read(ConfigPurpose::Add, Some(CONFIG)));
    assert!(matches!(m.popup, Some(Popup::Editor(_))));
    typed(&mut m, "b");
    // Keys typed in the form never reach the dashboard ('A', 'q', ...).
    typed(&mut m, "q");
    assert!(!m.quit);
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty());
    let Some(Popup::Review(review)) = &m.popup else {
        panic!("no review");
    };
    assert_eq!(review.before.as_deref(), Some(CONFIG));
    assert_eq!(
        review.after,
        format!("{CONFIG}\n[accounts.bq]\nprovider = \"idp\"\n").into()
    );

    // Esc goes back to the form with what was typed.
    update(&mut m, key(KeyCode::Esc));
    let Some(Popup::Editor(editor)) = &m.popup else {
        panic!("not back in the form");
    };
    assert_eq!(editor.account, "bq");
    update(&mut m, key(KeyCode::Enter));

    // "Write and log in" is the second answer.
    update(&mut m, key(KeyCode::Right));
    let commands = update(&mut m, key(KeyCode::Enter));
    let [Command::SaveConfig(write)] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(write.path, std::path::PathBuf::from("/cfg/config.toml"));
    assert_eq!(write.before.as_deref(), Some(CONFIG));
    assert!(write.login);
    assert!(m.popup.is_none());

    // The runtime wrote and loaded it: the new row shows up, selected, and its login starts.
    let mut b = AccountRow::new("bq", "idp", Flow::Device);
    b.health = Health::Loading;
    let commands = update(
        &mut m,
        Msg::Done(Outcome::ConfigSaved {
            write: write.clone(),
            result: Ok(super::super::event::Reloaded {
                rows: vec![AccountRow::new("a", "idp", Flow::Device), b],
                clipboard_clear: None,
                here: None,
            }),
        }),
    );
    assert_eq!(
        commands,
        vec![
            Command::LoadAll,
            Command::Login {
                account: "bq".into(),
                replace_user: false
            }
        ]
    );
    assert_eq!(m.accounts.len(), 2);
    assert_eq!(m.selected_row().map(|r| r.name.as_str()), Some("bq"));
    // The row that existed keeps what the dashboard knew about it.
    assert!(
        m.accounts
            .iter()
            .any(|r| r.name == "a" && r.health.loaded())
    );
    assert!(matches!(m.popup, Some(Popup::Login { .. })));
}

#[test]
fn a_failed_write_is_reported_and_the_list_stays() {
    let mut m = model(vec![row("a", None)]);
    let write = ConfigWrite {
        path: "/cfg/config.toml".into(),
        before: Some(CONFIG.into()),
        after: ConfigText::default(),
        done: "done".into(),
        select: None,
        login: false,
        offer_provider_removal: None,
    };
    let commands = update(
        &mut m,
        Msg::Done(Outcome::ConfigSaved {
            write,
            result: Err("'/cfg/config.toml' changed on disk".into()),
        }),
    );
    assert!(commands.is_empty());
    assert_eq!(m.accounts.len(), 1);
    let status = m.status.clone().expect("status");
    assert_eq!(status.level, crate::tui::model::Level::Error);
    assert!(status.text.contains("changed on disk"));
}

#[test]
fn a_broken_config_is_not_edited() {
    let mut m = Model::new(
        Setup::Broken {
            message: "bad".into(),
        },
        Vec::new(),
        t(0),
    );
    assert!(update(&mut m, ch('A')).is_empty());
    assert!(m.status.expect("status").text.contains("fix it by hand"));

    // A file that broke after the dashboard started is refused when read.
    let mut m = model(vec![row("a", None)]);
    update(
        &mut m,
        config_read(ConfigPurpose::Add, Some("[accounts.x\n")),
    );
    assert!(m.popup.is_none());
    assert!(m.status.expect("status").text.contains("does not parse"));
}

#[test]
fn removing_logs_out_first_and_keeps_the_account_if_that_fails() {
    let mut m = model(vec![row("a", Some(tokens("at", 0, 3600, true)))]);
    m.config_path = "/cfg/config.toml".into();
    assert_eq!(
        update(&mut m, ch('D')),
        vec![Command::ReadConfig(ConfigPurpose::Remove("a".into()))]
    );
    update(
        &mut m,
        config_read(ConfigPurpose::Remove("a".into()), Some(CONFIG)),
    );
    assert!(matches!(m.popup, Some(Popup::Review(_))));
    assert!(
        update(&mut m, ch('y')).is_empty(),
        "a letter answers nothing"
    );
    assert!(
        update(&mut m, key(KeyCode::Enter)).is_empty(),
        "Enter on the first answer keeps the account"
    );
    assert!(m.popup.is_none());
    update(
        &mut m,
        config_read(ConfigPurpose::Remove("a".into()), Some(CONFIG)),
    );
    update(&mut m, key(KeyCode::Right));
    let commands = update(&mut m, key(KeyCode::Enter));
    let (account, revoke, write) = logout_then_write(&commands);
    assert_eq!(account, "a");
    assert!(revoke, "the second answer revokes");
    assert!(!write.after.contains("[accounts.a]"));
    assert!(write.after.starts_with("# mine\n"));
    assert_eq!(m.accounts[0].activity, Activity::LoggingOut);

    // The provider could not be reached: nothing is removed.
    let commands = update(
        &mut m,
        Msg::Done(Outcome::LoggedOutForWrite {
            account: "a".into(),
            result: Err("could not reach the provider".into()),
            write: write.clone(),
        }),
    );
    assert!(commands.is_empty());
    assert_eq!(m.accounts[0].activity, Activity::Idle);
    assert!(
        m.status
            .clone()
            .expect("status")
            .text
            .contains("without revoking")
    );

    // Logged out: the config is written next.
    let commands = update(
        &mut m,
        Msg::Done(Outcome::LoggedOutForWrite {
            account: "a".into(),
            result: Ok(vec![]),
            write: write.clone(),
        }),
    );
    assert_eq!(commands, vec![Command::SaveConfig(write.clone())]);
}

#[test]
fn f_removes_without_revoking() {
    let mut m = model(vec![row("a", Some(tokens("at", 0, 3600, true)))]);
    update(
        &mut m,
        config_read(ConfigPurpose::Remove("a".into()), Some(CONFIG)),
    );
    update(&mut m, key(KeyCode::Left));
    let commands = update(&mut m, key(KeyCode::Enter));
    assert!(matches!(
        commands.as_slice(),
        [Command::LogoutThenWrite { revoke: false, .. }]
    ));
}

#[test]
fn moving_an_account_to_another_provider_revokes_its_tokens_first() {
    let two = format!(
        "{CONFIG}\n[providers.other]\nissuer = \"https://other.example\"\nclient_id = \"c\"\n"
    );
    let mut m = model(vec![row("a", Some(tokens("at", 0, 3600, true)))]);
    update(&mut m, ch('e'));
    update(
        &mut m,
        config_read(ConfigPurpose::Change("a".into()), Some(&two)),
    );
    // Pick the other provider.
    update(&mut m, key(KeyCode::Right));
    update(&mut m, key(KeyCode::Enter));
    let Some(Popup::Review(review)) = &m.popup else {
        panic!("no review: {:?}", m.status);
    };
    assert!(matches!(
        review.action,
        ReviewAction::Change {
            provider_changed: true,
            ..
        }
    ));
    update(&mut m, key(KeyCode::Right));
    let commands = update(&mut m, key(KeyCode::Enter));
    let (account, revoke, write) = logout_then_write(&commands);
    assert_eq!(account, "a");
    assert!(revoke);
    assert!(write.after.contains("provider = \"other\""));

    // The write fails: the form comes back with the reason, and the file is read again.
    let commands = update(
        &mut m,
        Msg::Done(Outcome::ConfigSaved {
            write: write.clone(),
            result: Err("'c' changed on disk while the editor was open".into()),
        }),
    );
    assert_eq!(
        commands,
        vec![Command::ReadConfig(ConfigPurpose::RefreshForm)]
    );
    let Some(Popup::Editor(form)) = &m.popup else {
        panic!("the form is not back");
    };
    assert!(
        form.error
            .as_deref()
            .is_some_and(|e| e.contains("changed on disk"))
    );
    update(
        &mut m,
        config_read(ConfigPurpose::RefreshForm, Some("# newer\n")),
    );
    let Some(Popup::Editor(form)) = &m.popup else {
        panic!("the form is gone");
    };
    assert_eq!(form.before.as_deref(), Some("# newer\n"));
}

#[test]
fn a_reload_keeps_the_selected_account() {
    let mut m = model(vec![row("a", None), row("b", None)]);
    update(&mut m, ch('j'));
    assert_eq!(m.selected_row().map(|r| r.name.as_str()), Some("b"));
    update(
        &mut m,
        Msg::Done(Outcome::ConfigChanged(Ok(super::super::event::Reloaded {
            rows: vec![
                AccountRow::new("a", "idp", Flow::Device),
                AccountRow::new("b", "idp", Flow::Device),
            ],
            clipboard_clear: None,
            here: None,
        }))),
    );
    assert_eq!(m.selected_row().map(|r| r.name.as_str()), Some("b"));
}

#[test]
fn a_filled_form_asks_before_it_is_thrown_away() {
    let mut m = model(vec![row("a", None)]);
    m.config_path = "/cfg/config.toml".into();
    update(&mut m, config_read(ConfigPurpose::Add, Some(CONFIG)));
    // An untouched form closes on Esc.
    update(&mut m, key(KeyCode::Esc));
    assert!(m.popup.is_none());
    update(&mut m, config_read(ConfigPurpose::Add, Some(CONFIG)));
    update(&mut m, ch('b'));
    update(&mut m, key(KeyCode::Esc));
    assert!(matches!(m.popup, Some(Popup::Confirm(_))), "asks");
    // Esc (no) goes back to the form with what was typed.
    update(&mut m, key(KeyCode::Esc));
    let Some(Popup::Editor(form)) = &m.popup else {
        panic!("back in the form: {:?}", m.popup);
    };
    assert_eq!(form.account, "b");
    update(&mut m, key(KeyCode::Esc));
    update(&mut m, key(KeyCode::Right));
    update(&mut m, key(KeyCode::Enter));
    assert!(m.popup.is_none(), "discarded");
    assert!(m.last_form.is_none());
}

#[test]
fn removing_the_last_account_of_a_provider_offers_its_table_too() {
    let mut m = model(vec![row("a", None)]);
    m.config_path = "/cfg/config.toml".into();
    update(
        &mut m,
        config_read(ConfigPurpose::Remove("a".into()), Some(CONFIG)),
    );
    update(&mut m, key(KeyCode::Right));
    let commands = update(&mut m, key(KeyCode::Enter));
    let [Command::SaveConfig(write)] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(write.offer_provider_removal.as_deref(), Some("idp"));
    update(
        &mut m,
        Msg::Done(Outcome::ConfigSaved {
            write: write.clone(),
            result: Ok(super::super::event::Reloaded {
                rows: vec![],
                clipboard_clear: None,
                here: None,
            }),
        }),
    );
    let Some(Popup::Review(review)) = &m.popup else {
        panic!("the provider is offered: {:?}", m.popup);
    };
    assert!(
        matches!(&review.action, ReviewAction::RemoveProvider { provider } if provider == "idp")
    );
    assert!(
        !review.after.contains("[providers.idp]"),
        "{}",
        review.after.as_str()
    );
    // Its first answer keeps it.
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty());
    assert!(m.popup.is_none());
}

#[test]
fn service_accounts_get_their_first_token_without_a_login() {
    let mut svc = AccountRow::new("svc", "idp", Flow::ClientCredentials);
    svc.health = Health::Fine;
    let mut unread = AccountRow::new("svc2", "idp", Flow::ClientCredentials);
    unread.health = Health::Loading;
    let mut m = model(vec![svc, unread, row("user", None)]);
    let commands = tick(&mut m, 0);
    assert_eq!(
        commands,
        vec![Command::Refresh {
            account: "svc".into(),
            seen: None
        }],
        "only the loaded service account, never the user account"
    );
    // It fails: the row says so, and the next try waits for the backoff.
    update(&mut m, refreshed("svc", Err(fail("invalid_client", false))));
    let svc = m.row_mut("svc").expect("row");
    assert_eq!(svc.health.error(), Some("invalid_client"));
    assert!(svc.health.retry().is_some());
    assert!(tick(&mut m, 1).is_empty(), "not before the backoff");
    assert_eq!(tick(&mut m, 6).len(), 1, "retried");
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

#[test]
fn changing_a_providers_client_names_the_accounts_whose_tokens_it_strands() {
    let mut m = model(vec![
        row("a", Some(tokens("at", 0, 3600, true))),
        row("b", None),
    ]);
    m.config_path = "/cfg/config.toml".into();
    update(
        &mut m,
        config_read(ConfigPurpose::Change("a".into()), Some(CONFIG)),
    );
    // Provider → Issuer → Client ID.
    update(&mut m, key(KeyCode::Tab));
    update(&mut m, key(KeyCode::Tab));
    update(&mut m, ch('x'));
    update(&mut m, key(KeyCode::Enter));
    let Some(Popup::Review(review)) = &m.popup else {
        panic!("no review: {:?}", m.popup);
    };
    assert_eq!(
        review.notes,
        vec!["the tokens of 'a' were issued by the old issuer or client and will not be used any more: log them out first to revoke them there (x), or log them in again afterwards".to_string()]
    );
}

#[test]
fn the_tokens_of_an_accounts_apis_are_fetched_then_kept_fresh() {
    let mut with_apis = row("multi", Some(tokens("at", 0, 3600, true)));
    with_apis.apis = ["https://a.test", "https://b.test"]
        .into_iter()
        .map(|r| crate::tui::row::ApiToken {
            resource: r.into(),
            tokens: None,
            busy: false,
            error: None,
        })
        .collect();
    let mut m = model(vec![with_apis]);
    let apis = |commands: &[Command]| -> Vec<(String, Duration)> {
        commands
            .iter()
            .filter_map(|c| match c {
                Command::RefreshApi {
                    resource,
                    min_valid,
                    ..
                } => Some((resource.clone(), *min_valid)),
                _ => None,
            })
            .collect()
    };
    // Missing: both fetched, once.
    let first = apis(&tick(&mut m, 1));
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(
        apis(&tick(&mut m, 2)).is_empty(),
        "in flight: not asked again"
    );
    for (resource, issued) in [("https://a.test", 1), ("https://b.test", 2)] {
        update(
            &mut m,
            Msg::Done(Outcome::ApiRefreshed {
                account: "multi".into(),
                resource: resource.into(),
                result: Ok(tokens(&format!("{resource}-at"), issued, 600, false)),
            }),
        );
    }
    assert!(apis(&tick(&mut m, 60)).is_empty(), "fresh");
    // At its refresh point, an API's token is refreshed by the routine ask (past that
    // point nothing is fresh enough, unless another process refreshed it meanwhile).
    let due = apis(&tick(&mut m, 560));
    assert_eq!(due.len(), 2, "{due:?}");
    assert!(due.iter().all(|(_, min)| min.is_zero()), "{due:?}");
    // A refusal stays on the row and is not retried on every tick.
    update(
        &mut m,
        Msg::Done(Outcome::ApiRefreshed {
            account: "multi".into(),
            resource: "https://a.test".into(),
            result: Err(fail("invalid_target", false)),
        }),
    );
    assert_eq!(
        m.accounts[0].apis[0].error.as_deref(),
        Some("invalid_target")
    );
    let again = apis(&tick(&mut m, 570));
    assert!(
        !again.iter().any(|(r, _)| r == "https://a.test"),
        "{again:?}"
    );
    // Without the account's own refresh token nothing can be had.
    let mut m = model(vec![row("x", Some(tokens("at", 0, 3600, false)))]);
    m.accounts[0].apis = vec![crate::tui::row::ApiToken {
        resource: "https://a.test".into(),
        tokens: None,
        busy: false,
        error: None,
    }];
    assert!(apis(&tick(&mut m, 1)).is_empty());
}

#[test]
fn an_account_by_exchange_follows_its_source_and_has_no_login_or_form() {
    let source = row("work", Some(tokens("at", 0, 3600, true)));
    let mut by_exchange = row("api-b", Some(tokens("xt", 0, 3600, false)));
    by_exchange.exchanged_from = Some("work".into());
    let mut m = model(vec![source, by_exchange]);
    let find = |m: &Model, name: &str| m.accounts.iter().position(|r| r.name == name).expect("row");
    // Its source is logged out: it needs the source's login, and says so.
    update(
        &mut m,
        Msg::Done(Outcome::LoggedOut {
            account: "work".into(),
            result: Ok(Vec::new()),
        }),
    );
    let d = find(&m, "api-b");
    assert!(m.accounts[d].health.needs_login());
    assert!(
        m.accounts[d]
            .health
            .error()
            .unwrap_or_default()
            .contains("log in to 'work'")
    );
    // l and e on it point at the source and start nothing.
    m.selected = d;
    assert!(update(&mut m, ch('l')).is_empty());
    assert!(
        m.status
            .as_ref()
            .is_some_and(|s| s.text.contains("select 'work' and press l"))
    );
    assert!(update(&mut m, ch('e')).is_empty());
    // The source holds tokens again (a login in another process): it may renew again.
    update(
        &mut m,
        Msg::Done(Outcome::Loaded {
            logged_out: false,
            account: "work".into(),
            result: Ok(Some(Box::new(TokenRecord::new(tokens(
                "at2", 10, 3600, true,
            ))))),
        }),
    );
    assert!(!m.accounts[find(&m, "api-b")].health.needs_login());
}

#[test]
fn quitting_waits_for_refreshes_in_flight_unless_asked_twice() {
    let mut m = model(vec![row("a", Some(tokens("t1", 0, 600, true)))]);
    m.accounts[0].activity = crate::tui::model::Activity::Refreshing;
    update(&mut m, ch('q'));
    assert!(!m.quit, "the answer carries the new refresh token");
    // While it waits, ticks start nothing new and the notice stays.
    m.accounts.push(row("b", Some(tokens("b1", 0, 60, true))));
    assert!(tick(&mut m, 600).is_empty(), "no new refresh after q");
    assert!(
        m.status
            .as_ref()
            .is_some_and(|s| s.text.contains("1 refresh(es) in flight")),
        "{:?}",
        m.status
    );
    update(&mut m, refreshed("a", Ok(tokens("t2", 10, 600, true))));
    assert!(m.quit, "quits once it is saved");

    let mut m = model(vec![row("a", Some(tokens("t1", 0, 600, true)))]);
    m.accounts[0].activity = crate::tui::model::Activity::Refreshing;
    update(&mut m, ch('q'));
    update(&mut m, ch('q'));
    assert!(m.quit, "q again quits now");
    // Ctrl-C asks the same way.
    let mut m = model(vec![row("a", Some(tokens("t1", 0, 600, true)))]);
    m.accounts[0].activity = crate::tui::model::Activity::Refreshing;
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert!(!m.quit && m.quit_when_idle);
    update(&mut m, ctrl_c);
    assert!(m.quit);
}

/// The terminal closed (SSH dropped, SIGHUP) during a refresh: nothing more is drawn,
/// and tokdeck quits once the refresh is answered and saved, never before.
#[test]
fn a_terminal_gone_during_a_refresh_quits_once_it_is_saved() {
    let mut m = model(vec![row("a", Some(tokens("t1", 0, 600, true)))]);
    m.accounts[0].activity = crate::tui::model::Activity::Refreshing;
    update(&mut m, Msg::TerminalGone);
    assert!(m.terminal_gone && !m.quit, "the refresh is waited for");
    assert!(tick(&mut m, 600).is_empty(), "nothing new is started");
    update(&mut m, refreshed("a", Ok(tokens("t2", 10, 600, true))));
    assert!(m.quit);
    // With nothing in flight it quits at once.
    let mut m = model(vec![row("a", Some(tokens("t1", 0, 600, true)))]);
    update(&mut m, Msg::TerminalGone);
    assert!(m.quit);
}

#[test]
fn a_logout_elsewhere_of_a_service_account_sticks() {
    let mut r = row("svc", Some(tokens("t1", 0, 600, false)));
    r.flow = Flow::ClientCredentials;
    let mut m = model(vec![r]);
    // Another process logged out: the store holds nothing for it now.
    update(
        &mut m,
        Msg::Done(Outcome::Loaded {
            logged_out: false,
            account: "svc".into(),
            result: Ok(None),
        }),
    );
    assert!(
        refreshes(&tick(&mut m, 10)).is_empty(),
        "not fetched again on its own"
    );
    // A dashboard started after the logout knows it too (the mark in the data dir).
    let mut fresh = row("svc2", None);
    fresh.flow = Flow::ClientCredentials;
    let mut started = model(vec![fresh]);
    update(
        &mut started,
        Msg::Done(Outcome::Loaded {
            logged_out: true,
            account: "svc2".into(),
            result: Ok(None),
        }),
    );
    assert!(refreshes(&tick(&mut started, 10)).is_empty());
    // Fetching it is the user's call.
    let commands = update(&mut m, ch('r'));
    assert!(
        commands
            .iter()
            .any(|c| matches!(c, Command::Refresh { account, .. } if account == "svc")),
        "{commands:?}"
    );
}
