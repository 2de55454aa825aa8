//! The add form's account from an API's URL: looked up, reviewed with tokdeck's client
//! still to register, registered when written, and the registration deleted again when
//! the write fails.

use super::*;
use crate::tui::editor::{Choice, UNREGISTERED};
use crate::tui::event::{ConfigPurpose, ConfigWrite};

const CONFIG: &str = "# mine\n[providers.idp]\nissuer = \"https://idp.example\"\nclient_id = \"c\"\n\n[accounts.a]\nprovider = \"idp\"\n";

fn server(registration: bool) -> crate::engine::from_url::ApiServer {
    crate::engine::from_url::ApiServer {
        resource: "https://mcp.example/mcp".into(),
        resource_name: Some("Example".into()),
        issuer: "https://login.example".into(),
        endpoints: crate::oauth::Endpoints {
            issuer: Some("https://login.example".into()),
            registration_endpoint: registration.then(|| "https://login.example/reg".into()),
            ..Default::default()
        },
        scopes: vec![
            "openid".into(),
            "offline_access".into(),
            "files:read".into(),
        ],
    }
}

fn found(url: &str, server: crate::engine::from_url::ApiServer) -> Msg {
    Msg::Done(Outcome::ApiFound {
        url: url.into(),
        result: Ok(Box::new(server)),
    })
}

/// The add form, with the API choice and `url` typed, after Enter.
fn form_for(m: &mut Model, url: &str) -> Vec<Command> {
    m.config_path = "/cfg/config.toml".into();
    update(m, ch('A'));
    update(
        m,
        Msg::Done(Outcome::ConfigRead {
            purpose: ConfigPurpose::Add,
            result: Ok(Some(CONFIG.into())),
        }),
    );
    let Some(Popup::Editor(form)) = &mut m.popup else {
        panic!("no form");
    };
    form.account = "mcp".into();
    let api = form
        .choices
        .iter()
        .position(|c| *c == Choice::Api)
        .expect("the API choice is offered");
    // Chosen as a person does: ← → on the provider field.
    form.provider = api - 1;
    form.focus = crate::tui::editor::Field::Provider;
    update(m, key(KeyCode::Right));
    let Some(Popup::Editor(form)) = &mut m.popup else {
        panic!("no form");
    };
    assert_eq!(form.provider_name.text(), "api", "named after the choice");
    form.url = url.into();
    update(m, key(KeyCode::Enter))
}

#[test]
fn an_api_url_is_looked_up_reviewed_and_registered_when_written() {
    let mut m = model(vec![row("a", None)]);
    let commands = form_for(&mut m, "https://mcp.example/mcp");
    let [Command::FindApi(ask)] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(ask.url, "https://mcp.example/mcp");
    assert_eq!(ask.issuer, None);
    // Enter again while it is looked up starts nothing more.
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty());
    // An answer for another URL (a lookup the form moved on from) is not this form's.
    update(&mut m, found("https://other.example/mcp", server(true)));
    assert!(matches!(m.popup, Some(Popup::Editor(_))));

    update(&mut m, found("https://mcp.example/mcp", server(true)));
    let Some(Popup::Review(review)) = &m.popup else {
        panic!("no review: {:?}", m.popup);
    };
    let after = review.after.to_string();
    assert!(
        after.contains("[providers.api]")
            && after.contains("issuer = \"https://login.example\"")
            && after.contains(&format!("client_id = \"{UNREGISTERED}\""))
            && after.contains("registration = \"dynamic\"")
            && after.contains("params = { resource = \"https://mcp.example/mcp\" }")
            && after.contains("scopes = [\"openid\", \"offline_access\", \"files:read\"]"),
        "{after}"
    );
    assert!(
        review
            .told
            .iter()
            .any(|n| n.contains("protected by https://login.example")),
        "{:?}",
        review.told
    );
    // Told with the change, not repeated in the status line once it is written.
    assert!(review.notes.is_empty(), "{:?}", review.notes);
    assert!(review.registering.is_some());

    // Write: tokdeck registers first; the write follows with the real client ID.
    let commands = update(&mut m, key(KeyCode::Enter));
    let [Command::RegisterThenWrite { registering, write }] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(registering.provider, "api");
    assert_eq!(write.path, std::path::PathBuf::from("/cfg/config.toml"));

    // A write that fails after the registration: the registration goes again.
    let registered = crate::store::registration::Registration {
        issuer: "https://login.example".into(),
        client_id: "dyn-1".into(),
        client_secret: None,
        registration_access_token: None,
        registration_client_uri: None,
        registered_at: m.now,
        client_secret_expires_at: None,
    };
    let written = ConfigWrite {
        registered: Some(("api".into(), registered.clone())),
        ..write.clone()
    };
    let commands = update(
        &mut m,
        Msg::Done(Outcome::RegisteredForWrite(Ok(written.clone()))),
    );
    assert_eq!(commands, vec![Command::SaveConfig(written.clone())]);
    let commands = update(
        &mut m,
        Msg::Done(Outcome::ConfigSaved {
            write: written,
            result: Err("the file changed on disk".into()),
        }),
    );
    assert!(
        commands.contains(&Command::Unregister {
            provider: "api".into(),
            registration: registered
        }),
        "{commands:?}"
    );
    assert!(
        matches!(m.popup, Some(Popup::Editor(_))),
        "the form comes back"
    );
}

#[test]
fn a_server_without_registration_or_a_bad_url_is_said_on_the_form() {
    let mut m = model(vec![row("a", None)]);
    assert!(form_for(&mut m, "http://mcp.example/mcp").is_empty());
    let Some(Popup::Editor(form)) = &m.popup else {
        panic!("no form");
    };
    assert!(
        form.error
            .as_deref()
            .is_some_and(|e| e.contains("plain http")),
        "{:?}",
        form.error
    );

    let mut m = model(vec![row("a", None)]);
    form_for(&mut m, "https://mcp.example/mcp");
    update(&mut m, found("https://mcp.example/mcp", server(false)));
    let Some(Popup::Editor(form)) = &m.popup else {
        panic!("the form stays: {:?}", m.popup);
    };
    let error = form.error.clone().unwrap_or_default();
    assert!(
        error.contains("offers no dynamic client registration")
            && error.contains("type its ID as the Client ID"),
        "{error}"
    );
    assert!(form.finding.is_none());
}

#[test]
fn removing_a_provider_tokdeck_registered_deletes_its_registration_first() {
    let mut m = model(vec![row("a", None)]);
    let before = "[providers.api]\nissuer = \"https://login.example\"\nclient_id = \"dyn-1\"\nregistration = \"dynamic\"\n";
    let review = crate::tui::editor::Review::removing_provider(
        "api",
        std::path::Path::new("/cfg/config.toml"),
        before.into(),
        "".into(),
    );
    assert!(review.unregisters, "the file says tokdeck registered it");
    m.popup = Some(Popup::Review(Box::new(review)));
    // "Keep it" is highlighted first; "Remove it" is the second answer.
    update(&mut m, key(KeyCode::Right));
    let commands = update(&mut m, key(KeyCode::Enter));
    let [Command::UnregisterThenWrite { provider, write }] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(provider, "api");
    // What became of the registration is said with the result, and the change written.
    let commands = update(
        &mut m,
        Msg::Done(Outcome::UnregisteredForWrite {
            note: "its client registration at https://login.example was deleted".into(),
            write: write.clone(),
        }),
    );
    let [Command::SaveConfig(saved)] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert!(saved.done.ends_with("was deleted"), "{}", saved.done);
}

#[test]
fn a_new_account_on_a_provider_made_for_an_api_is_for_that_api_too() {
    let mut m = model(vec![row("a", None)]);
    m.config_path = "/cfg/config.toml".into();
    let config = "[providers.api]\nissuer = \"https://login.example\"\nclient_id = \"dyn-1\"\nregistration = \"dynamic\"\n\n[accounts.first]\nprovider = \"api\"\nscopes = [\"openid\", \"files:read\"]\nparams = { resource = \"https://mcp.example/mcp\" }\n";
    update(&mut m, ch('A'));
    update(
        &mut m,
        Msg::Done(Outcome::ConfigRead {
            purpose: ConfigPurpose::Add,
            result: Ok(Some(config.into())),
        }),
    );
    let Some(Popup::Editor(form)) = &mut m.popup else {
        panic!("no form");
    };
    form.account = "second".into();
    assert!(
        matches!(form.choice(), Some(Choice::Existing { name, api: Some(_), .. }) if name == "api"),
        "{:?}",
        form.choice()
    );
    update(&mut m, key(KeyCode::Enter));
    let Some(Popup::Review(review)) = &m.popup else {
        panic!("no review: {:?}", m.popup);
    };
    let after = review.after.to_string();
    assert!(
        after.contains(
            "[accounts.second]\nprovider = \"api\"\nscopes = [\"openid\", \"files:read\"]\nparams = { resource = \"https://mcp.example/mcp\" }"
        ),
        "{after}"
    );
}
