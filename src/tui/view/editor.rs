//! The account editor form and the review of a config change.

use super::centered;
use crate::config::edit::DiffLine;
use crate::tui::editor::{Editor, Field, Mode, Review, ReviewAction};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

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
    framed(
        frame,
        area,
        &title,
        " Tab/↑↓ move  ←→ choose  Enter review  Esc cancel ",
        lines,
        0,
    );
}

pub fn review(frame: &mut Frame, area: Rect, review: &Review) {
    let (title, keys) = match &review.action {
        ReviewAction::Add { account } => (
            format!(" Add '{account}' "),
            " y write  l write and log in  ↑↓ scroll  Esc back ",
        ),
        ReviewAction::Change {
            account,
            provider_changed: false,
        } => (
            format!(" Change '{account}' "),
            " y write  l write and log in  ↑↓ scroll  Esc back ",
        ),
        ReviewAction::Change { account, .. } => (
            format!(" Move '{account}' to another provider "),
            " y revoke, write  l …and log in  f delete without revoking  Esc back ",
        ),
        ReviewAction::Remove { account } => (
            format!(" Remove '{account}' "),
            " y revoke and remove  f remove without revoking  Esc keep ",
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
    let note = match &review.action {
        ReviewAction::Remove { account } => format!(
            "y revokes its tokens at the provider and deletes them here; f only deletes them here. `tokdeck token {account}` stops working."
        ),
        ReviewAction::Change {
            provider_changed: true,
            ..
        } => "Its tokens came from the old provider and cannot follow: y revokes them there and deletes them here (f only deletes them); then log in with the new provider.".to_string(),
        _ => "Keys you do not change keep their comments and layout.".to_string(),
    };
    lines.push(Line::styled(note, Style::new().fg(Color::Yellow)));
    framed(frame, area, &title, keys, lines, review.scroll);
}

/// A popup sized to its wrapped text (at most the screen), with its keys in the bottom
/// border so that they stay visible however long the text is.
fn framed(frame: &mut Frame, area: Rect, title: &str, keys: &str, lines: Vec<Line>, scroll: u16) {
    let width = 84.min(area.width);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let rect = centered(area, width, (rows as u16).saturating_add(2));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(
                Block::bordered()
                    .title(title.to_string())
                    .title_bottom(Line::styled(
                        keys.to_string(),
                        Style::new().fg(Color::Yellow),
                    )),
            )
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        rect,
    );
}
