//! Refreshes: when they are due, how failures back off, service accounts, APIs, accounts by exchange, and quitting with refreshes in flight.

use super::*;

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
fn client_credentials_accounts_are_fetched_again() {
    let mut r = row("svc", Some(tokens("t1", 0, 600, false)));
    r.source = Source::Service;
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
fn service_accounts_get_their_first_token_without_a_login() {
    let mut svc = AccountRow::new("svc", "idp", Source::Service);
    svc.health = Health::Fine;
    let mut unread = AccountRow::new("svc2", "idp", Source::Service);
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
    by_exchange.source = Source::Exchange {
        from: "work".into(),
    };
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
    r.source = Source::Service;
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
    fresh.source = Source::Service;
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

/// From a trial: an account by exchange whose source needs a login needs it too, as
/// `tokdeck list` says, whatever its own row held (it cannot be renewed).
#[test]
fn an_account_by_exchange_shows_its_sources_login_needed() {
    let mut source = row("work", Some(tokens("at", 0, 3600, true)));
    let mut by_exchange = row("api-b", None);
    by_exchange.source = Source::Exchange {
        from: "work".into(),
    };
    let fine = model(vec![source.clone(), by_exchange.clone()]);
    let own = fine
        .accounts
        .iter()
        .find(|r| r.name == "api-b")
        .expect("row");
    assert_eq!(fine.status_of(own), TokenStatus::NoToken);
    source.health = Health::NeedsLogin {
        reason: "invalid_grant".into(),
    };
    let m = model(vec![source, by_exchange]);
    let row = m.accounts.iter().find(|r| r.name == "api-b").expect("row");
    assert_eq!(row.status(m.now), TokenStatus::NoToken);
    assert_eq!(m.status_of(row), TokenStatus::NeedsLogin);
}
