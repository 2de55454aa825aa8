//! The config: broken tables, edits by hand, the editor's add, change and remove, and their writes.

use super::*;

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
fn a_config_changed_by_hand_is_followed_or_its_error_shown() {
    let mut m = model(vec![row("a", Some(tokens("at", 0, 3600, true)))]);
    let reloaded = |names: &[&str]| {
        Msg::Done(Outcome::ConfigChanged(Ok(crate::tui::event::Reloaded {
            rows: names
                .iter()
                .map(|n| AccountRow::new(n, "idp", Source::Login(Flow::Browser)))
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
    assert_eq!(
        a.source,
        Source::Login(Flow::Browser),
        "its settings follow the file"
    );

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
    let mut b = AccountRow::new("bq", "idp", Source::Login(Flow::Device));
    b.health = Health::Loading;
    let commands = update(
        &mut m,
        Msg::Done(Outcome::ConfigSaved {
            write: write.clone(),
            result: Ok(crate::tui::event::Reloaded {
                rows: vec![AccountRow::new("a", "idp", Source::Login(Flow::Device)), b],
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
        registered: None,
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
        Msg::Done(Outcome::ConfigChanged(Ok(crate::tui::event::Reloaded {
            rows: vec![
                AccountRow::new("a", "idp", Source::Login(Flow::Device)),
                AccountRow::new("b", "idp", Source::Login(Flow::Device)),
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
            result: Ok(crate::tui::event::Reloaded {
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
