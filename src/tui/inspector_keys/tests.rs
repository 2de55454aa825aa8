use crate::jwt::compare::Change;
use crate::jwt::sign::{Hmac, Signer, sign};
use crate::secret::Secret;
use crate::tui::event::{Command, Msg, Outcome, SignWith, VerifyAgainst};
use crate::tui::model::{Checked, Health, Model, Popup, Setup, Source};
use crate::tui::update::update;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Map, Value, json};

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(m: &mut Model, text: &str) -> Vec<Command> {
    for c in text.chars() {
        update(m, key(KeyCode::Char(c)));
    }
    update(m, key(KeyCode::Enter))
}

fn hs256(claims: Value, secret: &[u8]) -> String {
    sign(
        Map::new(),
        &claims,
        &Signer::Secret(secret, Hmac::parse("HS256").expect("alg")),
    )
    .expect("sign")
}

fn inspector(m: &Model) -> &crate::tui::model::Inspector {
    match &m.popup {
        Some(Popup::Inspector(inspector)) => inspector,
        other => panic!("no inspector: {other:?}"),
    }
}

/// As a developer uses the workbench: verify a pasted token with its secret, change a
/// claim, sign again with the same secret, copy the new token, compare it with the
/// first.
#[test]
fn verify_with_a_secret_edit_a_claim_sign_again_copy_and_compare() {
    let mut m = Model::new(Setup::Ready, Vec::new(), chrono::Utc::now());
    let first = hs256(json!({"sub": "alice", "exp": 2_000_000_000}), b"s3cret");
    update(&mut m, Msg::Paste(first.clone()));

    update(&mut m, key(KeyCode::Char('s')));
    let commands = typed(&mut m, "s3cret");
    assert_eq!(
        commands,
        vec![Command::VerifyPasted {
            token: Secret::new(first.clone()),
            against: VerifyAgainst::Secret(Secret::new("s3cret")),
        }]
    );

    update(&mut m, key(KeyCode::Char('e')));
    assert!(typed(&mut m, "sub=bob").is_empty());
    update(&mut m, key(KeyCode::Char('e')));
    typed(&mut m, "exp+=1h");
    let draft = inspector(&m).draft.clone().expect("a draft");
    assert_eq!(
        (&draft.claims["sub"], &draft.claims["exp"]),
        (&json!("bob"), &json!(2_000_003_600))
    );
    // An edited, unsigned token is not copied.
    assert!(update(&mut m, key(KeyCode::Char('c'))).is_empty());
    assert!(
        inspector(&m)
            .note
            .as_deref()
            .is_some_and(|n| n.contains("S signs them first"))
    );

    update(&mut m, key(KeyCode::Char('S')));
    let commands = update(&mut m, key(KeyCode::Enter));
    assert_eq!(
        commands,
        vec![Command::SignDraft {
            draft: draft.clone(),
            with: SignWith::Secret(Secret::new("s3cret"), "HS256".into()),
        }]
    );
    // What the effect answers: the draft signed.
    let second = sign(
        draft.header.clone(),
        &Value::Object(draft.claims.clone()),
        &Signer::Secret(b"s3cret", Hmac::parse("HS256").expect("alg")),
    )
    .expect("sign");
    let checked = Checked {
        verdict: Ok(crate::jwt::verify::verify_hmac(&second, b"s3cret")),
        risks: vec![],
    };
    update(
        &mut m,
        Msg::Done(Outcome::InspectorSigned(Ok((
            Secret::new(second.clone()),
            checked,
        )))),
    );
    assert!(inspector(&m).draft.is_none());
    let commands = update(&mut m, key(KeyCode::Char('c')));
    assert!(
        matches!(&commands[..], [Command::Copy { text, .. }] if text.expose() == second),
        "{commands:?}"
    );

    update(&mut m, key(KeyCode::Char('d')));
    update(&mut m, Msg::Paste(first));
    update(&mut m, key(KeyCode::Enter));
    let rows = inspector(&m).compare.clone().expect("compared");
    let sub = rows.iter().find(|r| r.name == "sub").expect("sub");
    assert_eq!(sub.change, Change::Changed(json!("bob"), json!("alice")));
    // Esc leaves the comparison, then the inspector.
    update(&mut m, key(KeyCode::Esc));
    assert!(inspector(&m).compare.is_none());
    update(&mut m, key(KeyCode::Esc));
    assert!(m.popup.is_none());
}

#[test]
fn signing_needs_a_key_file_or_a_secret_and_bad_edits_say_why() {
    let mut m = Model::new(Setup::Ready, Vec::new(), chrono::Utc::now());
    update(&mut m, Msg::Paste(hs256(json!({"sub": "alice"}), b"k")));
    update(&mut m, key(KeyCode::Char('S')));
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty());
    assert!(
        inspector(&m)
            .note
            .as_deref()
            .is_some_and(|n| n.contains("private key file"))
    );
    update(&mut m, key(KeyCode::Char('S')));
    let commands = typed(&mut m, "/keys/dev.pem");
    assert!(matches!(
        &commands[..],
        [Command::SignDraft { with: SignWith::KeyFile(p), .. }] if p.ends_with("dev.pem")
    ));
    update(&mut m, key(KeyCode::Char('e')));
    typed(&mut m, "-nope");
    assert_eq!(
        inspector(&m).note.as_deref(),
        Some("the token has no claim 'nope'")
    );
    assert!(
        inspector(&m).draft.is_none(),
        "a failed edit changes nothing"
    );
    update(&mut m, key(KeyCode::Char('d')));
    typed(&mut m, "opaque-reference-token");
    assert!(inspector(&m).compare.is_none());
}

/// `d` on the list: the account's access token now against the one before its last
/// refresh, claim by claim.
#[test]
fn d_compares_an_accounts_token_with_the_one_before_its_refresh() {
    use crate::config::Flow;
    use crate::token::TokenSet;
    use crate::tui::event::Failure;
    use crate::tui::model::AccountRow;
    let set =
        |access: String| TokenSet::bearer(access, chrono::Utc::now()).with_refresh_token("rt");
    let before = hs256(json!({"sub": "alice", "scope": "read"}), b"k");
    let after = hs256(json!({"sub": "alice", "scope": "read write"}), b"k");
    let mut row = AccountRow::new("work", "idp", Source::Login(Flow::Device));
    row.health = Health::Fine;
    row.tokens = Some(set(before));
    let mut m = Model::new(Setup::Ready, vec![row], chrono::Utc::now());

    update(&mut m, key(KeyCode::Char('d')));
    assert!(m.popup.is_none(), "nothing to compare before a refresh");

    let refreshed: Result<TokenSet, Failure> = Ok(set(after));
    update(
        &mut m,
        Msg::Done(Outcome::Refreshed {
            account: "work".into(),
            result: refreshed,
        }),
    );
    update(&mut m, key(KeyCode::Char('d')));
    let rows = inspector(&m).compare.clone().expect("compared");
    let scope = rows.iter().find(|r| r.name == "scope").expect("scope");
    assert_eq!(
        scope.change,
        Change::Changed(json!("read write"), json!("read"))
    );
    assert!(
        rows.iter()
            .any(|r| r.name == "sub" && matches!(r.change, Change::Same(_)))
    );
}

/// From a trial: Esc with unsigned edits drops them and keeps the token (a second Esc
/// closes); the letters of an empty inspector say to paste first.
#[test]
fn esc_drops_edits_before_closing_and_an_empty_inspector_says_to_paste() {
    let mut m = Model::new(Setup::Ready, Vec::new(), chrono::Utc::now());
    update(&mut m, Msg::Paste(hs256(json!({"role": "user"}), b"k")));
    update(&mut m, key(KeyCode::Char('e')));
    typed(&mut m, "role=admin");
    assert!(inspector(&m).draft.is_some());
    update(&mut m, key(KeyCode::Esc));
    assert!(inspector(&m).draft.is_none(), "the edits went");
    update(&mut m, key(KeyCode::Esc));
    assert!(m.popup.is_none());

    update(&mut m, key(KeyCode::Char('I')));
    update(&mut m, key(KeyCode::Char('s')));
    assert_eq!(
        inspector(&m).note.as_deref(),
        Some("paste a JWT first (your terminal's paste key)")
    );
    assert!(inspector(&m).input.is_none());
}
