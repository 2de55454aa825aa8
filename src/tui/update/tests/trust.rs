//! Signature checks in the background and the inspector's verification; provider answers in a pane.

use super::*;

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
