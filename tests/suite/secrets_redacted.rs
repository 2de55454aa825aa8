//! Every public type that can hold a token or a client secret prints `[redacted]`, never
//! the secret, under `{:?}`.

use std::time::Duration;
use tokdeck::config::{Config, Flow};
use tokdeck::oauth::device::DeviceAuthorization;
use tokdeck::oauth::{Client, TokenResponse};
use tokdeck::secret::Secret;
use tokdeck::token::TokenRecord;
use tokdeck::token::TokenSet;
use tokdeck::tui::event::{Command, LoginProgress, Outcome};
use tokdeck::tui::model::{AccountRow, Inspector, Model, Popup, Setup, Source};

const ACCESS: &str = "ACCESS-7f3a9c";
const REFRESH: &str = "REFRESH-51d0e2";
const ID: &str = "IDTOKEN-c44b81";
const CLIENT_SECRET: &str = "CLIENTSECRET-9e2f";
const DEVICE_CODE: &str = "DEVICECODE-0a1b";

fn assert_redacted(what: &str, shown: String) {
    for secret in [ACCESS, REFRESH, ID, CLIENT_SECRET, DEVICE_CODE] {
        assert!(!shown.contains(secret), "{what} shows {secret}: {shown}");
    }
    assert!(shown.contains("redacted"), "{what}: {shown}");
}

fn tokens() -> TokenSet {
    let response: TokenResponse = serde_json::from_str(&format!(
        r#"{{"access_token":"{ACCESS}","refresh_token":"{REFRESH}","id_token":"{ID}","token_type":"Bearer","expires_in":60}}"#
    ))
    .expect("response");
    assert_redacted("TokenResponse", format!("{response:?}"));
    TokenSet::from_response(response, &[], chrono::Utc::now())
}

#[test]
fn debug_output_never_contains_secrets() {
    let set = tokens();
    assert_redacted("TokenSet", format!("{set:?}"));
    assert_redacted(
        "TokenRecord",
        format!("{:?}", TokenRecord::new(set.clone())),
    );
    let config = Config::parse(
        std::path::Path::new("c.toml"),
        &format!("[providers.p]\nissuer = \"https://i\"\nclient_id = \"c\"\nclient_secret = \"{CLIENT_SECRET}\"\n[accounts.a]\nprovider = \"p\"\n"),
        None,
    )
    .expect("config");
    assert_redacted("Config", format!("{config:?}"));
    let dpop = tokdeck::oauth::dpop::Dpop::generate().expect("a DPoP key");
    let client = format!(
        "{:?}",
        Client {
            client_id: "c".into(),
            client_secret: Some(Secret::new(CLIENT_SECRET)),
            assertion: Some(tokdeck::oauth::assertion::ClientAssertion {
                key: tokdeck::oauth::assertion::SigningKey::Secret(Secret::new(CLIENT_SECRET)),
                audience: None,
                read: |_| Err("no key file in this test".into()),
            }),
            dpop: Some(dpop.clone()),
        }
    );
    assert!(
        !client.contains(dpop.stored().expose()),
        "the DPoP private key leaked: {client}"
    );
    assert_redacted("Client", client);
    let device = DeviceAuthorization {
        device_code: Secret::new(DEVICE_CODE),
        user_code: "ABCD".into(),
        verification_uri: "https://i/device".into(),
        verification_uri_complete: None,
        expires_in: Duration::from_secs(60),
        interval: Duration::from_secs(5),
    };
    assert_redacted("DeviceAuthorization", format!("{device:?}"));
    let copy = Command::Copy {
        what: "the access token".into(),
        text: Secret::new(format!("Authorization: Bearer {ACCESS}")),
        clear_after: None,
    };
    assert_redacted("Command::Copy", format!("{copy:?}"));
    let outcome = Outcome::Login {
        account: "a".into(),
        progress: LoginProgress::Finished(Ok(Box::new(tokdeck::token::TokenRecord::new(
            set.clone(),
        )))),
    };
    assert_redacted("Outcome", format!("{outcome:?}"));
    let mut row = AccountRow::new("a", "p", Source::Login(Flow::Device));
    row.tokens = Some(set);
    let mut model = Model::new(Setup::Ready, vec![row], chrono::Utc::now());
    // A secret typed into the inspector (to verify or sign with) redacts too.
    model.popup = Some(Popup::Inspector(Box::new(Inspector {
        token: Some(Secret::new(ACCESS)),
        input: Some((
            tokdeck::tui::model::Field::Secret,
            tokdeck::tui::text_input::TextInput::masked(ACCESS),
        )),
        secret: Some(Secret::new(ACCESS)),
        ..Default::default()
    })));
    assert_redacted("Model", format!("{model:?}"));
}

/// The account editor: a client secret typed into the form, and config text that holds
/// one (read from the file, or about to be written).
#[test]
fn the_account_editor_never_shows_a_client_secret_in_debug() {
    use tokdeck::config::edit::ConfigText;
    use tokdeck::tui::editor::{Editor, Mode, Review, ReviewAction};
    use tokdeck::tui::event::{ConfigPurpose, ConfigWrite};
    let path = std::path::Path::new("c.toml");
    let text = ConfigText::from(format!(
        "[providers.p]\nissuer = \"https://i\"\nclient_id = \"c\"\nclient_secret = \"{CLIENT_SECRET}\"\n"
    ));
    let mut editor = Editor::open(path, Some(text.clone()), Mode::Add).expect("opens");
    editor.client_secret = tokdeck::tui::text_input::TextInput::masked(CLIENT_SECRET);
    let mut model = Model::new(Setup::Ready, Vec::new(), chrono::Utc::now());
    model.popup = Some(Popup::Editor(Box::new(editor.clone())));
    assert_redacted("Model with the editor", format!("{model:?}"));
    model.popup = Some(Popup::Review(Box::new(Review::new(
        ReviewAction::Add {
            account: "a".into(),
        },
        Some(editor),
        path,
        Some(text.clone()),
        text.clone(),
    ))));
    assert_redacted("Model with a review", format!("{model:?}"));
    let write = Command::SaveConfig(ConfigWrite {
        path: path.into(),
        before: Some(text.clone()),
        after: text.clone(),
        done: String::new(),
        select: None,
        login: false,
        offer_provider_removal: None,
        // A client tokdeck registered: its registration access token (RFC 7592) and a
        // secret the server may have given are secrets too.
        registered: Some((
            "p".into(),
            tokdeck::store::registration::Registration {
                issuer: "https://idp.example".into(),
                client_id: "c".into(),
                client_secret: Some(Secret::new(CLIENT_SECRET)),
                registration_access_token: Some(Secret::new(REFRESH)),
                registration_client_uri: Some("https://idp.example/reg/c".into()),
                registered_at: chrono::Utc::now(),
                client_secret_expires_at: None,
            },
        )),
    });
    assert_redacted("Command::SaveConfig", format!("{write:?}"));
    let read = Outcome::ConfigRead {
        purpose: ConfigPurpose::Add,
        result: Ok(Some(text)),
    };
    assert_redacted("Outcome::ConfigRead", format!("{read:?}"));
}
