//! What the dashboard knows of the agent: the requests waiting for the person (asked as
//! a question), and its activity (the audit, live).

use super::event::Command;
use super::model::{Answer, Confirm, Model, Popup};
use crate::agent::audit::Entry;
use crate::agent::protocol::{self as p, Waiting};

/// The most audit entries the dashboard keeps.
pub const ACTIVITY_KEPT: usize = 500;

/// Which entries the Activity pane shows (`L` goes round).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ActivityPane {
    /// Not shown: the claims are.
    #[default]
    Off,
    /// The selected account's.
    Selected,
    All,
}

#[derive(Debug, Clone, Default)]
pub struct AgentState {
    /// `None`: no agent answers.
    pub pending: Option<Vec<Waiting>>,
    /// Requests already put to the person (a question dismissed is not asked again; `w`
    /// asks again).
    pub asked: std::collections::BTreeSet<u64>,
    /// The audit, oldest first.
    pub activity: Vec<Entry>,
    pub pane: ActivityPane,
}

impl AgentState {
    pub fn waiting(&self) -> &[Waiting] {
        self.pending.as_deref().unwrap_or_default()
    }
}

impl Confirm {
    /// The agent's question about a waiting request: who asks, from where, for what,
    /// and which of it the kernel verified.
    pub fn agent(request: &Waiting) -> Self {
        let mut lines = vec![
            format!("{} asks for {}.", request.caller, request.what()),
            String::new(),
        ];
        lines.extend(request.fact_lines());
        lines.push(String::new());
        lines.push(format!(
            "Unanswered, it is denied at {}.",
            request
                .expires_at
                .with_timezone(&chrono::Local)
                .format("%H:%M:%S")
        ));
        let answer = |label: &str, a: p::Answer| {
            (
                label.to_string(),
                Answer::Agent {
                    id: request.id,
                    answer: a,
                },
            )
        };
        Self {
            title: format!(" tokdeck agent: request {} ", request.id),
            lines: lines
                .into_iter()
                .map(|l| crate::printable::printable(&l).into_owned())
                .collect(),
            answers: vec![
                answer("Allow once", p::Answer::Once),
                answer("For this session", p::Answer::Session),
                answer("Always for this program", p::Answer::Program),
                answer("Deny", p::Answer::Deny),
                ("Later".into(), Answer::Keep),
            ],
            // Deny is what Enter does by default: a request nobody looked at goes nowhere.
            highlighted: 3,
        }
    }
}

/// The request an agent question on screen is about.
fn asking_about(model: &Model) -> Option<u64> {
    match &model.popup {
        Some(Popup::Confirm(confirm)) => confirm.answers.iter().find_map(|(_, a)| match a {
            Answer::Agent { id, .. } => Some(*id),
            _ => None,
        }),
        _ => None,
    }
}

/// The agent's waiting requests as they are now: a question that is no longer waiting is
/// closed; a new one is asked when nothing else is on screen.
pub fn pending(model: &mut Model, pending: Option<Vec<Waiting>>) {
    model.agent.pending = pending;
    let waiting: Vec<u64> = model.agent.waiting().iter().map(|w| w.id).collect();
    if let Some(id) = asking_about(model)
        && !waiting.contains(&id)
    {
        model.popup = None;
        model.info(format!(
            "agent: request {id} was answered elsewhere or timed out"
        ));
    }
    model.agent.asked.retain(|id| waiting.contains(id));
    ask_next(model);
}

/// Puts the first request not yet asked about to the person, when nothing else is open.
pub fn ask_next(model: &mut Model) {
    if model.popup.is_some() {
        return;
    }
    let Some(request) = model
        .agent
        .waiting()
        .iter()
        .find(|w| !model.agent.asked.contains(&w.id))
        .cloned()
    else {
        return;
    };
    model.agent.asked.insert(request.id);
    model.popup = Some(Popup::Confirm(Confirm::agent(&request)));
}

/// `w`: the waiting requests again, the first one now.
pub fn ask_again(model: &mut Model) {
    if model.agent.waiting().is_empty() {
        model.info(match model.agent.pending {
            None => "no tokdeck agent runs (`tokdeck agent` starts one)",
            Some(_) => "agent: no request waits",
        });
        return;
    }
    model.agent.asked.clear();
    ask_next(model);
}

/// The person's answer, sent to the agent.
pub fn answer(model: &mut Model, id: u64, answer: p::Answer) -> Vec<Command> {
    model.info(format!("agent: request {id}: {}…", answer.key()));
    vec![Command::AnswerAgent { id, answer }]
}

/// The agent took the answer, or could not.
pub fn answered(model: &mut Model, id: u64, answer: p::Answer, result: Result<(), String>) {
    match result {
        Ok(()) => model.info(format!("agent: request {id}: {}", answer.key())),
        Err(e) => model.error(format!("agent: request {id}: {e}")),
    }
}

/// New audit entries.
pub fn activity(model: &mut Model, entries: Vec<Entry>) {
    model.agent.activity.extend(entries);
    let over = model.agent.activity.len().saturating_sub(ACTIVITY_KEPT);
    model.agent.activity.drain(..over);
}

/// `L`: the Activity pane, for the selected account, for all, off.
pub fn cycle_pane(model: &mut Model) {
    model.agent.pane = match model.agent.pane {
        ActivityPane::Off => ActivityPane::Selected,
        ActivityPane::Selected => ActivityPane::All,
        ActivityPane::All => ActivityPane::Off,
    };
}

/// The entries the pane shows, newest first.
pub fn shown(model: &Model) -> Vec<&Entry> {
    let selected = model.selected_row().map(|r| r.name.as_str());
    model
        .agent
        .activity
        .iter()
        .rev()
        .filter(|e| match model.agent.pane {
            ActivityPane::Selected => e.account.as_deref() == selected,
            _ => true,
        })
        .collect()
}
