//! The account editor form and the review of a config change.

use super::centered;
use super::popups::show;
use crate::config::edit::DiffLine;
use crate::tui::editor::{Editor, Field, Mode, Review, ReviewAction};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

const LABEL_WIDTH: usize = 16;

pub fn form(frame: &mut Frame, area: Rect, editor: &Editor) {
    let title = match &editor.mode {
        Mode::Add => " Add an account ".to_string(),
        Mode::Change { account } => format!(" Change account '{account}' "),
    };
    let fields = editor.fields();
    let dim = Style::new().fg(Color::DarkGray);
    let mut lines = Vec::new();
    for field in &fields {
        let focused = *field == editor.focus;
        let choice = matches!(field, Field::Provider | Field::Flow);
        let value = editor.shown(*field);
        let shown = match (choice, focused) {
            (true, true) => format!("‹ {value} ›"),
            (false, true) => format!("{value}█"),
            _ => value,
        };
        let label_style = if focused {
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(Color::Yellow)
        };
        let marker = if focused { "▸ " } else { "  " };
        lines.push(Line::from(vec![
            Span::styled(marker, label_style),
            Span::styled(
                format!("{:<LABEL_WIDTH$}", Editor::label(*field)),
                label_style,
            ),
            Span::styled(
                shown,
                if focused {
                    Style::new().add_modifier(Modifier::REVERSED)
                } else {
                    Style::new()
                },
            ),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(editor.hint(editor.focus), dim));
    if let Some(error) = &editor.error {
        lines.push(Line::styled(error.clone(), Style::new().fg(Color::Red)));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Tab/↑↓ move   ←→/Space choose   Enter review the change   Esc cancel",
        dim,
    ));
    let height = lines.len() as u16 + 4;
    show(frame, centered(area, 84, height), &title, lines);
}

pub fn review(frame: &mut Frame, area: Rect, review: &Review) {
    let (title, question) = match &review.action {
        ReviewAction::Add { account } => (
            format!(" Add '{account}' "),
            "y write   l write and log in   Esc back to the form",
        ),
        ReviewAction::Change { account } => (
            format!(" Change '{account}' "),
            "y write   l write and log in   Esc back to the form",
        ),
        ReviewAction::Remove { account } => (
            format!(" Remove '{account}' "),
            "y log out (revoke) and remove   f remove without revoking   Esc keep",
        ),
    };
    let mut lines = vec![Line::raw(format!(
        "{} {}:",
        if review.before.is_some() {
            "Changes to"
        } else {
            "A new file"
        },
        review.path.display()
    ))];
    lines.push(Line::raw(""));
    for line in &review.diff {
        lines.push(match line {
            DiffLine::Same(text) => Line::raw(format!("  {text}")),
            DiffLine::Removed(text) => {
                Line::styled(format!("- {text}"), Style::new().fg(Color::Red))
            }
            DiffLine::Added(text) => {
                Line::styled(format!("+ {text}"), Style::new().fg(Color::Green))
            }
            DiffLine::Skipped(n) => Line::styled(
                format!("  … {n} unchanged line{}", if *n == 1 { "" } else { "s" }),
                Style::new().fg(Color::DarkGray),
            ),
        });
    }
    lines.push(Line::raw(""));
    if let ReviewAction::Remove { account } = &review.action {
        lines.push(Line::raw(format!(
            "Its tokens are revoked at the provider and deleted from the store; `tokdeck token {account}` stops working."
        )));
    } else {
        lines.push(Line::raw(
            "Comments and the rest of the file stay as they are.",
        ));
    }
    lines.push(Line::styled(question, Style::new().fg(Color::Yellow)));
    let height = lines.len() as u16 + 2;
    show(frame, centered(area, 84, height), &title, lines);
}
