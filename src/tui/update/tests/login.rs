//! Logins and logouts from the dashboard: device and browser flows, a denied login, another person.

use super::*;

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
