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
        let reversed = Style::new().add_modifier(Modifier::REVERSED);
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
        ]));
        let spans = match (choice, focused, editor.cursor(*field)) {
            (true, true, _) => vec![Span::styled(format!("‹ {value} ›"), reversed)],
            (false, true, Some(cursor)) => super::with_cursor(&value, cursor, Style::new()),
            _ => vec![Span::raw(value)],
        };
        if let Some(line) = lines.last_mut() {
            line.spans.extend(spans);
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(editor.hint(editor.focus), dim));
    if let Some(url) = &editor.finding {
        lines.push(Line::styled(
            format!("Looking up who logs in to {url}…"),
            Style::new().fg(Color::Yellow),
        ));
    }
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
    let title = match &review.action {
        ReviewAction::Add { account } => format!(" Add '{account}' "),
        ReviewAction::Change {
            account,
            provider_changed: false,
        } => format!(" Change '{account}' "),
        ReviewAction::Change { account, .. } => format!(" Move '{account}' to another provider "),
        ReviewAction::Remove { account } => format!(" Remove '{account}' "),
        ReviewAction::RemoveProvider { provider } => format!(" Remove the provider '{provider}'? "),
    };
    let keys = " ← → choose  Enter confirms  ↑↓ scroll  Esc back ";
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
        ReviewAction::RemoveProvider { provider } if review.unregisters => format!(
            "No account uses '{provider}' any more. tokdeck registered its client: removing the table deletes that registration at the server too (RFC 7592)."
        ),
        ReviewAction::RemoveProvider { provider } => format!(
            "No account uses '{provider}' any more. Removing its table removes its client secret from the file too."
        ),
        ReviewAction::Remove { account } => format!(
            "Revoking ends its tokens at the provider and deletes them here; removing without revoking only deletes them here. `tokdeck token {account}` stops working."
        ),
        ReviewAction::Change {
            provider_changed: true,
            ..
        } => "Its tokens came from the old provider and cannot follow: they are revoked there and deleted here (or only deleted here); then log in with the new provider.".to_string(),
        _ => "Keys you do not change keep their comments and layout.".to_string(),
    };
    lines.push(Line::styled(note, Style::new().fg(Color::Yellow)));
    for note in review.told.iter().chain(&review.notes) {
        lines.push(Line::styled(note.clone(), Style::new().fg(Color::Yellow)));
    }
    lines.push(Line::raw(""));
    lines.push(super::popups::answers(
        review.answers().iter().map(|(label, _)| *label),
        review.highlighted,
    ));
    framed(frame, area, &title, keys, lines, review.scroll);
}

/// A popup sized to its wrapped text (at most the screen), with its keys in the bottom
/// border so that they stay visible however long the text is.
fn framed(frame: &mut Frame, area: Rect, title: &str, keys: &str, lines: Vec<Line>, scroll: u16) {
    let width = 84.min(area.width);
    // As the paragraph wraps them (at words): a long message keeps all its lines.
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = paragraph.line_count(width.saturating_sub(2).max(1));
    let rect = centered(
        area,
        width,
        u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2),
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(
        paragraph
            .block(
                Block::bordered()
                    .title(title.to_string())
                    .title_bottom(Line::styled(
                        keys.to_string(),
                        Style::new().fg(Color::Yellow),
                    )),
            )
            .scroll((scroll, 0)),
        rect,
    );
}
