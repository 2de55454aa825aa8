//! The agent's questions and activity in the dashboard.

use super::*;
use crate::agent::caller::Fact;
use crate::agent::protocol::{Answer as AgentAnswer, Waiting};
use crate::tui::agent::ActivityPane;
use crate::tui::model::Answer;

fn waiting(id: u64) -> Waiting {
    Waiting {
        id,
        account: "work".into(),
        resource: None,
        scope: Some("read".into()),
        id_token: false,
        caller: "coding agent: Claude Code (CLAUDECODE in its environment): /usr/bin/curl (pid 42)"
            .into(),
        facts: vec![
            Fact {
                name: "executable".into(),
                value: "/usr/bin/curl".into(),
                verified: true,
            },
            Fact {
                name: "environment".into(),
                value: "CLAUDECODE".into(),
                verified: false,
            },
        ],
        asked_at: t(0),
        expires_at: t(60),
    }
}

fn pending(m: &mut Model, ids: &[u64]) -> Vec<Command> {
    update(
        m,
        Msg::Done(Outcome::AgentPending(Some(
            ids.iter().map(|i| waiting(*i)).collect(),
        ))),
    )
}

fn key(m: &mut Model, code: KeyCode) -> Vec<Command> {
    update(m, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn question_about(m: &Model) -> Option<u64> {
    match &m.popup {
        Some(Popup::Confirm(c)) => c.answers.iter().find_map(|(_, a)| match a {
            Answer::Agent { id, .. } => Some(*id),
            _ => None,
        }),
        _ => None,
    }
}

#[test]
fn a_waiting_request_is_asked_with_what_was_verified_and_enter_denies() {
    let mut m = model(vec![row("work", None)]);
    pending(&mut m, &[7]);
    assert_eq!(question_about(&m), Some(7));
    let Some(Popup::Confirm(confirm)) = &m.popup else {
        panic!("no question");
    };
    let text = confirm.lines.join("\n");
    assert!(
        text.contains("Claude Code") && text.contains("scope read"),
        "{text}"
    );
    assert!(text.contains("verified  executable"), "{text}");
    assert!(text.contains("claimed   environment"), "{text}");
    // Enter on what is highlighted first: deny.
    let commands = key(&mut m, KeyCode::Enter);
    assert!(
        matches!(
            commands.as_slice(),
            [Command::AnswerAgent {
                id: 7,
                answer: AgentAnswer::Deny
            }]
        ),
        "{commands:?}"
    );
    assert!(m.popup.is_none());
}

#[test]
fn the_person_picks_an_answer_and_the_next_request_follows() {
    let mut m = model(vec![row("work", None)]);
    pending(&mut m, &[1, 2]);
    assert_eq!(question_about(&m), Some(1));
    // Left thrice from Deny: Allow once.
    for _ in 0..3 {
        key(&mut m, KeyCode::Left);
    }
    let commands = key(&mut m, KeyCode::Enter);
    assert!(matches!(
        commands.as_slice(),
        [Command::AnswerAgent {
            id: 1,
            answer: AgentAnswer::Once
        }]
    ));
    assert_eq!(question_about(&m), Some(2), "the next one is asked");
    // Esc is "later": not asked again until `w`.
    key(&mut m, KeyCode::Esc);
    assert!(m.popup.is_none());
    tick(&mut m, 1);
    assert!(m.popup.is_none());
    key(&mut m, KeyCode::Char('w'));
    assert_eq!(question_about(&m), Some(1));
}

#[test]
fn a_request_answered_elsewhere_closes_its_question() {
    let mut m = model(vec![row("work", None)]);
    pending(&mut m, &[3]);
    assert_eq!(question_about(&m), Some(3));
    pending(&mut m, &[]);
    assert!(m.popup.is_none());
    assert!(
        m.status
            .as_ref()
            .is_some_and(|s| s.text.contains("answered elsewhere")),
        "{:?}",
        m.status
    );
}

#[test]
fn a_request_waits_while_another_popup_is_open() {
    let mut m = model(vec![row("work", None)]);
    key(&mut m, KeyCode::Char('?'));
    pending(&mut m, &[4]);
    assert!(matches!(m.popup, Some(Popup::Help { .. })));
    key(&mut m, KeyCode::Esc);
    tick(&mut m, 1);
    assert_eq!(question_about(&m), Some(4));
}

#[test]
fn the_activity_pane_goes_round_and_keeps_the_latest_entries() {
    let mut m = model(vec![row("work", None), row("home", None)]);
    assert_eq!(m.agent.pane, ActivityPane::Off);
    key(&mut m, KeyCode::Char('L'));
    assert_eq!(m.agent.pane, ActivityPane::Selected);
    let entry = |account: &str| crate::agent::audit::Entry {
        at: t(0),
        decision: crate::agent::audit::Decision::Granted,
        decided_by: "policy".into(),
        op: "token".into(),
        account: Some(account.into()),
        resource: None,
        scope: None,
        token_sha256: None,
        reason: None,
        class: "the user's shell".into(),
        caller: crate::agent::caller::Caller::default(),
    };
    let many: Vec<_> = (0..crate::tui::agent::ACTIVITY_KEPT + 10)
        .map(|i| entry(if i % 2 == 0 { "work" } else { "home" }))
        .collect();
    update(&mut m, Msg::Done(Outcome::AgentActivity(many)));
    assert_eq!(m.agent.activity.len(), crate::tui::agent::ACTIVITY_KEPT);
    let selected = m.selected_row().map(|r| r.name.clone());
    let shown = crate::tui::agent::shown(&m);
    assert!(shown.iter().all(|e| e.account == selected));
    key(&mut m, KeyCode::Char('L'));
    assert_eq!(
        crate::tui::agent::shown(&m).len(),
        crate::tui::agent::ACTIVITY_KEPT
    );
    key(&mut m, KeyCode::Char('L'));
    assert_eq!(m.agent.pane, ActivityPane::Off);
}
