use super::*;
use crate::config::Flow;
use crate::secret::Secret;
use crate::token::TokenSet;
use crate::tui::model::{AccountRow, Activity, Health, LoginStage, Model, Popup, Setup, Source};
use base64::Engine;
use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("ts")
}

fn jwt(claims: serde_json::Value) -> String {
    let enc = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&v).expect("json"))
    };
    format!(
        "{}.{}.c2ln",
        enc(serde_json::json!({"alg": "RS256", "kid": "rs256-1", "typ": "at+jwt"})),
        enc(claims)
    )
}

fn tokens(lifetime_left: Option<i64>) -> TokenSet {
    TokenSet::bearer(
        jwt(serde_json::json!({
            "iss": "https://idp.example",
            "sub": "alice",
            "aud": "https://api.example",
            "exp": 1_800_000_000 + lifetime_left.unwrap_or(0),
            "iat": 1_800_000_000 - 60,
            "scope": "openid profile api:read",
            "groups": ["dev", "ops"],
        })),
        t(-3600),
    )
    .with_refresh_token("rt")
    .with_id_token(jwt(
        serde_json::json!({"iss": "https://idp.example", "sub": "alice", "nonce": "n-1"}),
    ))
    .with_scopes(&["openid", "profile", "api:read"])
    .expiring_at(lifetime_left.map(t))
}

fn row(name: &str, provider: &str, tokens: Option<TokenSet>) -> AccountRow {
    let mut row = AccountRow::new(name, provider, Source::Login(Flow::Device));
    row.health = Health::Fine;
    row.tokens = tokens;
    row
}

fn every_state() -> Model {
    let mut refreshing = row("refreshing", "work-idp", Some(tokens(Some(40))));
    refreshing.activity = Activity::Refreshing;
    let mut needs_login = row("revoked", "work-idp", Some(tokens(Some(-600))));
    needs_login.health = Health::NeedsLogin {
        reason: "the provider rejected the refresh token (invalid_grant)".into(),
    };
    let mut logging_in = row("new-hire", "google", None);
    logging_in.activity = Activity::LoggingIn;
    let rows = vec![
        row("alice-work", "work-idp", Some(tokens(Some(59 * 60 + 12)))),
        row("alice-admin", "work-idp", Some(tokens(Some(4 * 60 + 3)))),
        row("old", "work-idp", Some(tokens(Some(-120)))),
        row("github", "github", Some(tokens(None))),
        row("me", "google", None),
        refreshing,
        needs_login,
        logging_in,
    ];
    Model::new(Setup::Ready, rows, t(0))
}

fn render(model: &Model, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|frame| draw(frame, model)).expect("draw");
    terminal
}

fn find(terminal: &Terminal<TestBackend>, text: &str) -> (u16, u16) {
    let buffer = terminal.backend().buffer();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        if let Some(byte) = line.find(text) {
            return (line[..byte].chars().count() as u16, y);
        }
    }
    panic!("'{text}' not on screen:\n{}", terminal.backend());
}

#[test]
fn first_run() {
    let model = Model::new(
        Setup::FirstRun {
            config_path: "/home/me/.config/tokdeck/config.toml".into(),
        },
        vec![],
        t(0),
    );
    insta::assert_snapshot!(render(&model, 90, 26).backend());
}

#[test]
fn list_with_every_state() {
    let mut model = every_state();
    model.selected = 1;
    insta::assert_snapshot!(render(&model, 120, 30).backend());
}

#[test]
fn claims_of_the_id_token() {
    let mut model = every_state();
    model.claims.source = crate::tui::model::TokenChoice::Id;
    let selected = model.selected;
    model.accounts[selected].trust = Some(crate::tui::model::Trust {
        access: None,
        id: Some(crate::tui::model::Checked {
            verdict: Ok(crate::jwt::verify::Verdict::Valid {
                kid: Some("rs256-1".into()),
            }),
            risks: vec![crate::jwt::risks::Risk::KeyFromToken("jku".into())],
        }),
    });
    let terminal = render(&model, 120, 30);
    find(&terminal, "Claims: ID token");
    find(&terminal, "nonce");
    let (x, y) = find(&terminal, "signature valid (kid rs256-1)");
    assert_eq!(terminal.backend().buffer()[(x, y)].fg, Color::Green);
    let (x, y) = find(&terminal, "⚠ header 'jku'");
    assert_eq!(terminal.backend().buffer()[(x, y)].fg, Color::Yellow);
    find(&terminal, "(issuer: who made and signed the token)");
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn device_code_popup() {
    let mut model = every_state();
    model.popup = Some(Popup::Login {
        account: "me".into(),
        stage: LoginStage::Device {
            user_code: "BDWP-HQPK".into(),
            verification_uri: "https://idp.example/device".into(),
            complete: Some("https://idp.example/device?user_code=BDWP-HQPK".into()),
            expires_at: t(600),
        },
    });
    let terminal = render(&model, 100, 50);
    // The QR code (half blocks) is drawn when there is room.
    find(&terminal, "▀");
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn countdown_colours_carry_the_urgency() {
    let model = every_state();
    let terminal = render(&model, 120, 30);
    let buffer = terminal.backend().buffer();
    for (text, color) in [
        ("59m 12s", Color::Green),
        ("4m 03s", Color::Yellow),
        ("expired 2m 00s ago", Color::Red),
        ("login needed", Color::Red),
        ("no token", Color::DarkGray),
        ("refreshing…", Color::Cyan),
        ("no expiry", Color::Green),
    ] {
        let (x, y) = find(&terminal, text);
        assert_eq!(buffer[(x, y)].fg, color, "colour of '{text}'");
    }
}

#[test]
fn tokens_are_masked_until_revealed() {
    let mut model = every_state();
    let secret = model.accounts[model.selected]
        .tokens
        .as_ref()
        .map(|t| t.access_token.expose().to_string())
        .expect("token");
    let masked = render(&model, 200, 30);
    let screen = masked.backend().to_string();
    assert!(!screen.contains(&secret[..40]), "masked by default");
    find(&masked, "v reveals");
    model.reveal = Some(model.accounts[model.selected].name.clone());
    let shown = render(&model, 200, 30).backend().to_string();
    assert!(shown.contains(&secret[..40]), "revealed on request");
    // Another account selected: its token stays masked (from a trial: it showed).
    let other = (0..model.accounts.len())
        .find(|&i| i != model.selected && model.accounts[i].tokens.is_some())
        .expect("another account with tokens");
    let other_secret = model.accounts[other]
        .tokens
        .as_ref()
        .map(|t| t.access_token.expose().to_string())
        .expect("token");
    model.selected = other;
    let moved = render(&model, 200, 30).backend().to_string();
    assert!(
        !moved.contains(&other_secret[..40]),
        "another account's token stays masked"
    );
}

#[test]
fn a_thousand_accounts_scroll_to_the_selection() {
    let rows = (0..1000)
        .map(|i| row(&format!("acct-{i:04}"), &format!("idp-{}", i / 100), None))
        .collect();
    let mut model = Model::new(Setup::Ready, rows, t(0));
    model.selected = 999;
    let terminal = render(&model, 100, 30);
    find(&terminal, "▶ ● acct-0999");
}

#[test]
fn tiny_terminals_do_not_panic() {
    let mut model = every_state();
    model.popup = Some(Popup::Help { scroll: 0 });
    for (w, h) in [(20, 5), (1, 1), (10, 40), (200, 3)] {
        render(&model, w, h);
    }
}

#[test]
fn hostile_claims_render_without_panicking() {
    let enc = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let header = enc(br#"{"alg":"RS256"}"#);
    let huge = format!(
        "{header}.{}.sig",
        enc(format!(r#"{{"blob":"{}"}}"#, "x".repeat(100 * 1024)).as_bytes())
    );
    let not_utf8 = format!("{header}.{}.sig", enc(b"{\"a\":\"\xff\xfe\"}"));
    for token in [huge, not_utf8] {
        let mut model = every_state();
        model.popup = Some(Popup::Inspector(Box::new(crate::tui::model::Inspector {
            decoded: Some(crate::jwt::decode(&token).map_err(|e| e.to_string())),
            token: Some(Secret::new(token)),
            ..Default::default()
        })));
        render(&model, 80, 24);
        render(&model, 20, 5);
    }
}

#[test]
fn no_color_keeps_meaning_in_text_and_reverse_video() {
    let mut model = every_state();
    model.no_color = true;
    let terminal = render(&model, 120, 30);
    let buffer = terminal.backend().buffer();
    let (x, y) = find(&terminal, "expired 2m 00s ago");
    assert_eq!(buffer[(x, y)].fg, Color::Reset);
    let (x, y) = find(&terminal, "▶ ●");
    assert!(
        buffer[(x, y)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED),
        "the selection stays visible"
    );
    for cell in buffer.content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
    }
}

#[test]
fn account_editor_and_review() {
    use crate::tui::editor::{Editor, Field, Mode, Review, ReviewAction};
    let path = std::path::Path::new("/home/me/.config/tokdeck/config.toml");
    let before = "# mine\n[providers.corp]\nissuer = \"https://idp.example\"\nclient_id = \"c\"\nflow = \"device\"\n\n[accounts.alice]\nprovider = \"corp\"\n";
    let mut editor = Editor::open(path, Some(before.into()), Mode::Add).expect("opens");
    editor.account = "bob".into();
    while editor.shown(Field::Provider) != "new provider: okta" {
        editor.provider += 1;
    }
    editor.provider_name = "okta".into();
    editor.template.insert("domain", "dev-1.okta.com".into());
    editor.client_id = "0oa1".into();
    editor.client_secret = crate::tui::text_input::TextInput::masked("hunter2");
    editor.focus = Field::ClientSecret;
    let mut model = every_state();
    model.popup = Some(Popup::Editor(Box::new(editor.clone())));
    let terminal = render(&model, 100, 30);
    insta::assert_snapshot!("editor_form", terminal.backend());
    let text = format!("{}", terminal.backend());
    assert!(!text.contains("hunter2"), "the secret is masked");

    let draft = editor.draft().expect("draft");
    let after = crate::config::edit::add_account(path, before, &draft).expect("after");
    model.popup = Some(Popup::Review(Box::new(Review::new(
        ReviewAction::Add {
            account: "bob".into(),
        },
        Some(editor),
        path,
        Some(before.into()),
        after.into(),
    ))));
    let terminal = render(&model, 100, 30);
    insta::assert_snapshot!("editor_review", terminal.backend());
    let text = format!("{}", terminal.backend());
    assert!(
        !text.contains("hunter2"),
        "the secret is masked in the diff"
    );
    find(&terminal, "+ client_secret = \"••••••\"");
}

#[test]
fn api_tokens_sit_under_their_account_and_derived_accounts_say_where_from() {
    let mut multi = row("multi", "work-idp", Some(tokens(Some(3600))));
    multi.apis = vec![
        crate::tui::row::ApiToken {
            resource: "https://reports.example".into(),
            tokens: Some(tokens(Some(125))),
            busy: false,
            error: None,
        },
        crate::tui::row::ApiToken {
            resource: "urn:api:b".into(),
            tokens: None,
            busy: false,
            error: Some("invalid_target".into()),
        },
    ];
    let mut by_exchange = row("api-b", "work-idp", Some(tokens(Some(300))));
    by_exchange.source = Source::Exchange {
        from: "multi".into(),
    };
    let mut model = Model::new(Setup::Ready, vec![multi, by_exchange], t(0));
    model.selected = model
        .accounts
        .iter()
        .position(|r| r.name == "multi")
        .expect("multi");
    let terminal = render(&model, 100, 40);
    let (x, y) = find(&terminal, "└ https://reports.example");
    let (_, account_y) = find(&terminal, "multi");
    assert!(y > account_y, "under its account");
    let line: String = (x..100)
        .map(|cx| terminal.backend().buffer()[(cx, y)].symbol().to_string())
        .collect();
    assert!(line.contains("2m 05s"), "{line}");
    find(&terminal, "└ urn:api:b");
    find(&terminal, "api-b ⇐ multi");
    find(&terminal, "API           https://reports.example: openid");
    // The pane grows to show every API line, the refused one too.
    find(&terminal, "urn:api:b: invalid_target");
}

#[test]
fn who_never_runs_into_the_countdown_at_80_columns() {
    let mut bob = row("dev2", "work-idp", Some(tokens(Some(52))));
    bob.identity = Some(crate::token::Identity {
        iss: "https://idp.example".into(),
        sub: "bob".into(),
        email: Some("bob.with.a.rather.long.address.for.a.narrow.list@example.test".into()),
        preferred_username: None,
        name: None,
    });
    let model = Model::new(Setup::Ready, vec![bob], t(0));
    let terminal = render(&model, 80, 24);
    let screen = terminal.backend().to_string();
    assert!(!screen.contains("…52s"), "{screen}");
    let line = screen
        .lines()
        .find(|l| l.contains("dev2"))
        .expect("the row");
    assert!(line.contains("52s"), "{line}");
    let before_badge = &line[..line.find("52s").expect("badge")];
    assert!(
        before_badge.ends_with(' '),
        "a space before the countdown: {line}"
    );
}

#[test]
fn the_inspector_masks_a_typed_secret_and_shows_a_comparison() {
    use crate::jwt::compare::{Change, Row};
    use crate::tui::model::{Field, Inspector};
    use crate::tui::text_input::TextInput;
    let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.sig";
    let mut model = every_state();
    model.popup = Some(Popup::Inspector(Box::new(Inspector {
        decoded: Some(crate::jwt::decode(token).map_err(|e| e.to_string())),
        token: Some(Secret::new(token)),
        input: Some((Field::Secret, TextInput::masked("topsecret"))),
        ..Default::default()
    })));
    let terminal = render(&model, 140, 40);
    let screen = terminal.backend().to_string();
    assert!(!screen.contains("topsecret"), "{screen}");
    find(&terminal, "secret: •••••••••");
    find(
        &terminal,
        "s secret  f key file   e edit claim  S sign  d compare",
    );
    // On the status line, in place of the list's keys, which do nothing here.
    assert!(!screen.contains("l login"), "{screen}");

    let Some(Popup::Inspector(inspector)) = &mut model.popup else {
        panic!("inspector")
    };
    inspector.input = None;
    inspector.compare = Some(vec![
        Row {
            part: "claims",
            name: "sub".into(),
            change: Change::Changed("alice".into(), "bob".into()),
        },
        Row {
            part: "claims",
            name: "iss".into(),
            change: Change::Same("https://idp".into()),
        },
    ]);
    let terminal = render(&model, 140, 40);
    find(&terminal, "1 of 2 fields differ");
    find(&terminal, "~ claims sub: \"alice\" → \"bob\"");
    find(&terminal, "Esc: back to the token");
}

/// From a trial: at 80x24 the help lost its last keys; it scrolls now, and says so.
#[test]
fn the_help_scrolls_in_a_short_terminal() {
    let mut model = every_state();
    model.popup = Some(Popup::Help { scroll: 0 });
    let terminal = render(&model, 80, 24);
    find(&terminal, "Keys (j/k scroll, Esc closes)");
    let screen = terminal.backend().to_string();
    assert!(!screen.contains("this help"), "the last keys are below");
    model.popup = Some(Popup::Help { scroll: 40 });
    let terminal = render(&model, 80, 24);
    find(&terminal, "this help");
    // Tall enough: all of it, no scrolling said.
    let terminal = render(&model, 100, 60);
    find(&terminal, "Keys (Esc closes)");
    find(&terminal, "this help");
}

#[test]
fn an_account_for_an_api_shows_the_api_and_the_client_tokdeck_registered() {
    let mut api = row("mcp", "mcp", Some(tokens(Some(600))));
    api.for_api = Some("https://mcp.example/mcp".into());
    api.registered_client = Some("dyn-client-1".into());
    let model = Model::new(Setup::Ready, vec![api], t(0));
    let terminal = render(&model, 120, 30);
    find(&terminal, "for API");
    find(&terminal, "https://mcp.example/mcp");
    find(&terminal, "dyn-client-1  (registered by tokdeck, RFC 7591)");
}
