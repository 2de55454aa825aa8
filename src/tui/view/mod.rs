//! Drawing the model. Each pane is a function of `&Model`; nothing here does IO.

mod accounts;
mod activity;
pub mod bigtext;
pub mod claims;
mod details;
mod editor;
mod inspector;
mod popups;
mod welcome;

use super::model::{Level, Model, Setup, Urgency};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, model: &Model) {
    // A long status message (an error naming a file and a line) gets up to three rows.
    let status_rows = match &model.status {
        Some(status) if !model.filtering => {
            let width = usize::from(frame.area().width.max(1));
            status.text.chars().count().div_ceil(width).clamp(1, 3) as u16
        }
        _ => 1,
    };
    let [main, bottom] = Layout::vertical([Constraint::Fill(1), Constraint::Length(status_rows)])
        .areas(frame.area());
    match &model.setup {
        Setup::Ready => {
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)])
                    .areas(main);
            // The details as tall as they are (13 rows at least, two thirds of the
            // height at most: the claims keep some room), the claims below.
            let details = details::paragraph(model);
            let wanted = details::height(&details, right.width)
                .max(13)
                .min((right.height * 2 / 3).max(13));
            let [top, rest] =
                Layout::vertical([Constraint::Length(wanted), Constraint::Fill(1)]).areas(right);
            accounts::draw(frame, model, left);
            details::draw(frame, details, top);
            if model.agent.pane == crate::tui::agent::ActivityPane::Off {
                claims::draw(frame, model, rest);
            } else {
                activity::draw(frame, model, rest);
            }
        }
        Setup::FirstRun { .. } | Setup::Broken { .. } => welcome::draw(frame, model, main),
    }
    status_line(frame, model, bottom);
    popups::draw(frame, model);
    if model.no_color {
        strip_colors(frame);
    }
}

pub fn urgency_color(urgency: Urgency) -> Color {
    match urgency {
        Urgency::Comfortable => Color::Green,
        Urgency::Soon => Color::Yellow,
        Urgency::Expired => Color::Red,
        Urgency::None => Color::DarkGray,
        Urgency::Busy => Color::Cyan,
    }
}

fn status_line(frame: &mut Frame, model: &Model, area: Rect) {
    let line = if model.filtering {
        Line::from(
            vec![Span::styled("/", Style::new().fg(Color::Yellow))]
                .into_iter()
                .chain(with_cursor(
                    model.filter.text(),
                    model.filter.cursor(),
                    Style::new(),
                ))
                .chain([Span::styled(
                    "   Enter keeps the filter, Esc clears it",
                    Style::new().fg(Color::DarkGray),
                )])
                .collect::<Vec<_>>(),
        )
    } else if let Some(status) = &model.status {
        let color = match status.level {
            Level::Info => Color::Green,
            Level::Error => Color::Red,
        };
        Line::from(Span::styled(status.text.clone(), Style::new().fg(color)))
    } else {
        // The list's keys do nothing while a popup is open; each popup says its own
        // (the inspector's, many, here).
        let keys = match &model.popup {
            None => crate::tui::keys::hint(),
            Some(crate::tui::model::Popup::Inspector(inspector)) => {
                inspector::keys(inspector).to_string()
            }
            Some(_) => String::new(),
        };
        Line::from(Span::styled(keys, Style::new().fg(Color::DarkGray)))
    };
    let paragraph = Paragraph::new(line);
    let paragraph = if model.status.is_some() && !model.filtering {
        paragraph.wrap(ratatui::widgets::Wrap { trim: false })
    } else {
        paragraph
    };
    frame.render_widget(paragraph, area);
}

/// A text field's spans: the text with the character under the cursor in reverse video
/// (a block at the end).
pub fn with_cursor(text: &str, cursor: usize, style: Style) -> Vec<Span<'static>> {
    let before: String = text.chars().take(cursor).collect();
    let at = text.chars().nth(cursor);
    let after: String = text.chars().skip(cursor + 1).collect();
    vec![
        Span::styled(before, style),
        Span::styled(
            at.map_or("█".to_string(), |c| c.to_string()),
            style.add_modifier(Modifier::REVERSED),
        ),
        Span::styled(after, style),
    ]
}

/// NO_COLOR (no-color.org): drop every colour; a coloured background (the selection)
/// becomes reverse video so it stays visible.
fn strip_colors(frame: &mut Frame) {
    let area = frame.area();
    let buffer = frame.buffer_mut();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &mut buffer[(x, y)];
            if cell.bg != Color::Reset {
                cell.bg = Color::Reset;
                cell.modifier |= Modifier::REVERSED;
            }
            cell.fg = Color::Reset;
        }
    }
}

/// A rectangle of at most `width` × `height` in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests;
