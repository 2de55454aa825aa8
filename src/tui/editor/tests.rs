use super::*;
use crossterm::event::KeyModifiers;

const CONFIG: &str = r#"# keep me
[providers.corp]
issuer = "https://idp.example"
client_id = "tokdeck"
flow = "device"

[accounts.alice]
provider = "corp"
"#;

fn path() -> PathBuf {
    PathBuf::from("/tmp/tokdeck-test/config.toml")
}

fn press(editor: &mut Editor, code: KeyCode) -> Step {
    editor.key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn type_text(editor: &mut Editor, text: &str) {
    for c in text.chars() {
        press(editor, KeyCode::Char(c));
    }
}

#[test]
fn adding_to_an_existing_provider_reviews_the_new_table() {
    let mut editor = Editor::open(&path(), Some(CONFIG.into()), Mode::Add).expect("opens");
    assert_eq!(editor.focus, Field::Account);
    assert_eq!(
        editor.fields(),
        [Field::Account, Field::Provider, Field::Flow, Field::Scopes]
    );
    type_text(&mut editor, "bob work");
    assert_eq!(editor.account, "bobwork", "spaces are not part of names");
    press(&mut editor, KeyCode::Backspace);
    press(&mut editor, KeyCode::Tab);
    press(&mut editor, KeyCode::Tab);
    assert_eq!(editor.focus, Field::Flow);
    assert_eq!(editor.shown(Field::Flow), "the provider's (device)");
    press(&mut editor, KeyCode::Right);
    press(&mut editor, KeyCode::Right);
    assert_eq!(editor.shown(Field::Flow), "browser");
    press(&mut editor, KeyCode::Tab);
    type_text(&mut editor, "openid email");
    let Step::Review(after) = press(&mut editor, KeyCode::Enter) else {
        panic!("no review: {:?}", editor.error);
    };
    assert!(after.starts_with("# keep me\n"), "{}", after.as_str());
    assert!(
        after.ends_with(
            "[accounts.bobwor]\nprovider = \"corp\"\nflow = \"browser\"\nscopes = [\"openid\", \"email\"]\n"
        ),
        "{}", after.as_str()
    );
}

#[test]
fn a_new_preset_provider_asks_for_its_parameters() {
    let mut editor = Editor::open(&path(), None, Mode::Add).expect("opens without a file");
    type_text(&mut editor, "dev");
    press(&mut editor, KeyCode::Tab);
    // No providers in the file: the choices are the presets.
    while editor.shown(Field::Provider) != "new provider: keycloak" {
        press(&mut editor, KeyCode::Right);
    }
    assert_eq!(
        editor.fields(),
        [
            Field::Account,
            Field::Provider,
            Field::ProviderName,
            Field::Template("base_url"),
            Field::Template("realm"),
            Field::ClientId,
            Field::ClientSecret,
            Field::Flow,
            Field::Scopes,
        ]
    );
    assert_eq!(editor.provider_name, "keycloak", "named after the preset");
    // Required parameters are asked for by name.
    press(&mut editor, KeyCode::Enter);
    let error = editor.error.clone().expect("error");
    assert!(error.contains("needs a base_url"), "{error}");
    editor.focus = Field::Template("base_url");
    type_text(&mut editor, "https://sso.example");
    press(&mut editor, KeyCode::Tab);
    type_text(&mut editor, "main");
    press(&mut editor, KeyCode::Tab);
    type_text(&mut editor, "cli");
    press(&mut editor, KeyCode::Tab);
    type_text(&mut editor, "hunter2");
    assert_eq!(editor.shown(Field::ClientSecret), "•••••••");
    let Step::Review(after) = press(&mut editor, KeyCode::Enter) else {
        panic!("no review: {:?}", editor.error);
    };
    let config = Config::parse(&path(), after.as_str(), None).expect("valid");
    assert_eq!(
        config.accounts["dev"].provider.endpoints.issuer.as_deref(),
        Some("https://sso.example/realms/main")
    );
    assert_eq!(
        config.accounts["dev"]
            .provider
            .client_secret
            .as_ref()
            .map(|s| s.expose()),
        Some("hunter2")
    );
}

#[test]
fn changing_starts_from_the_account_as_configured() {
    let text = format!("{CONFIG}flow = \"browser\"\nscopes = [\"openid\", \"email\"]\n");
    let editor = Editor::open(
        &path(),
        Some(text.into()),
        Mode::Change {
            account: "alice".into(),
        },
    )
    .expect("opens");
    assert_eq!(editor.focus, Field::Provider);
    assert!(!editor.fields().contains(&Field::Account), "names stay");
    assert_eq!(editor.shown(Field::Provider), "corp (from your config)");
    assert_eq!(editor.shown(Field::Flow), "browser");
    assert_eq!(editor.scopes, "openid email");
}

#[test]
fn a_config_that_is_not_toml_does_not_open() {
    let err = Editor::open(&path(), Some("[accounts.x\n".into()), Mode::Add).expect_err("refused");
    assert!(
        err.contains("does not edit a config that does not parse"),
        "{err}"
    );
}

#[test]
fn escape_cancels() {
    let mut editor = Editor::open(&path(), Some(CONFIG.into()), Mode::Add).expect("opens");
    assert_eq!(press(&mut editor, KeyCode::Esc), Step::Cancel);
}

#[test]
fn a_new_provider_is_not_named_like_one_in_the_file() {
    let text = format!(
        "{CONFIG}\n[providers.okta]\npreset = \"okta\"\ndomain = \"a.okta.com\"\nclient_id = \"x\"\n"
    );
    let mut editor = Editor::open(&path(), Some(text.into()), Mode::Add).expect("opens");
    press(&mut editor, KeyCode::Tab);
    while editor.shown(Field::Provider) != "new provider: okta" {
        press(&mut editor, KeyCode::Right);
    }
    assert_eq!(editor.provider_name, "okta-2");
    // An error goes away with the next key.
    editor.error = Some("old".into());
    press(&mut editor, KeyCode::Tab);
    assert_eq!(editor.error, None);
}

const EXPLICIT: &str = r#"[providers.corp]
# the IdP
issuer = "https://idp.exmaple"   # a typo
client_id = "tokdek"
flow = "browser"

[accounts.alice]
provider = "corp"
flow = "browser"   # as the provider's, but written
scopes = ["openid"]
"#;

#[test]
fn keys_the_user_did_not_touch_stay_as_written() {
    let mut editor = Editor::open(
        &path(),
        Some(EXPLICIT.into()),
        Mode::Change {
            account: "alice".into(),
        },
    )
    .expect("opens");
    assert_eq!(editor.shown(Field::Flow), "browser", "the written flow");
    // Change only the client ID.
    editor.focus = Field::ClientId;
    press(&mut editor, KeyCode::End);
    type_text(&mut editor, "x");
    let Step::Review(after) = press(&mut editor, KeyCode::Enter) else {
        panic!("no review: {:?}", editor.error);
    };
    assert!(
        after.contains("flow = \"browser\"   # as the provider's, but written"),
        "{}",
        after.as_str()
    );
    assert!(
        after.contains("scopes = [\"openid\"]"),
        "{}",
        after.as_str()
    );
    assert!(
        after.contains("client_id = \"tokdekx\""),
        "{}",
        after.as_str()
    );
}

#[test]
fn e_fixes_a_providers_issuer_client_and_secret() {
    let mut editor = Editor::open(
        &path(),
        Some(EXPLICIT.into()),
        Mode::Change {
            account: "alice".into(),
        },
    )
    .expect("opens");
    assert_eq!(
        editor.fields(),
        [
            Field::Provider,
            Field::Issuer,
            Field::ClientId,
            Field::ClientSecret,
            Field::Flow,
            Field::Scopes
        ]
    );
    assert_eq!(editor.issuer, "https://idp.exmaple");
    editor.focus = Field::Issuer;
    // Ctrl-U clears the line; no letter is inserted.
    editor.key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    assert_eq!(editor.issuer, "");
    type_text(&mut editor, "https://idp.example");
    editor.focus = Field::ClientId;
    editor.key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
    type_text(&mut editor, "tokdeck");
    editor.focus = Field::ClientSecret;
    type_text(&mut editor, "s3cret");
    assert!(editor.provider_server_changed());
    let Step::Review(after) = press(&mut editor, KeyCode::Enter) else {
        panic!("no review: {:?}", editor.error);
    };
    let after = after.as_str();
    assert!(
        after.contains("# the IdP\nissuer = \"https://idp.example\"   # a typo\n"),
        "{after}"
    );
    assert!(after.contains("client_id = \"tokdeck\"\n"), "{after}");
    assert!(after.contains("client_secret = \"s3cret\""), "{after}");
}

#[test]
fn a_character_a_field_does_not_take_is_named() {
    let mut editor = Editor::open(&path(), Some(CONFIG.into()), Mode::Add).expect("opens");
    type_text(&mut editor, "bob work");
    assert_eq!(editor.account, "bobwork");
    type_text(&mut editor, " ");
    let error = editor.error.clone().unwrap_or_default();
    assert_eq!(
        error,
        "Account name takes letters, digits, '-', '_' and '.'; a space is not one of them"
    );
    assert!(editor.is_filled());
}

#[test]
fn a_broken_table_stays_the_users_to_fix_and_others_can_be_added() {
    let text = "[providers.corp]\nissuer = \"https://idp.example\"\nclient_id = \"c\"\n\n[accounts.old]\nprovider = \"gone\"\n";
    let mut editor = Editor::open(&path(), Some(text.into()), Mode::Add).expect("opens");
    type_text(&mut editor, "fresh");
    let Step::Review(after) = press(&mut editor, KeyCode::Enter) else {
        panic!("refused: {:?}", editor.error);
    };
    assert!(after.contains("[accounts.fresh]") && after.contains("provider = \"gone\""));
}
