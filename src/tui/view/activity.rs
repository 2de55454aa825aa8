//! The agent's activity (its audit, live): who got which account's token, who was
//! refused, newest first.

use crate::agent::audit::Decision;
use crate::tui::agent::{self, ActivityPane};
use crate::tui::model::Model;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub fn draw(frame: &mut Frame, model: &Model, area: Rect) {
    let whose = match (model.agent.pane, model.selected_row()) {
        (ActivityPane::Selected, Some(row)) => format!("'{}'", row.name),
        (ActivityPane::Selected, None) => "no account".into(),
        _ => "every account".into(),
    };
    let waiting = model.agent.waiting().len();
    let title = match (&model.agent.pending, waiting) {
        (None, _) => format!(" Agent activity: {whose} (no agent runs; L: next) "),
        (Some(_), 0) => format!(" Agent activity: {whose} (L: next) "),
        (Some(_), n) => format!(" Agent activity: {whose}, {n} waiting (w: answer, L: next) "),
    };
    let entries = agent::shown(model);
    let lines: Vec<Line> = if entries.is_empty() {
        vec![Line::styled(
            "nothing recorded yet",
            Style::new().fg(Color::DarkGray),
        )]
    } else {
        entries
            .into_iter()
            .take(usize::from(area.height.saturating_sub(2)))
            .map(|e| {
                let color = match e.decision {
                    Decision::Granted => Color::Green,
                    Decision::Denied | Decision::TimedOut => Color::Yellow,
                    Decision::Refused => Color::Red,
                };
                let when = e.at.with_timezone(&chrono::Local).format("%H:%M:%S");
                let what = match (&e.account, &e.resource) {
                    (Some(a), Some(r)) => format!("{a} for {r}"),
                    (Some(a), None) => a.clone(),
                    (None, _) => "-".into(),
                };
                Line::from(vec![
                    Span::styled(format!("{when} "), Style::new().fg(Color::DarkGray)),
                    Span::styled(format!("{:<9} ", e.decision.key()), Style::new().fg(color)),
                    Span::raw(
                        crate::printable::printable(&format!(
                            "{what} to {} ({})",
                            e.caller.summary(),
                            e.decided_by
                        ))
                        .into_owned(),
                    ),
                ])
            })
            .collect()
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        area,
    );
}
