//! The account list, grouped by provider, with a live countdown per row.

use super::urgency_color;
use crate::tui::model::Model;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

enum Entry {
    Provider(usize),
    Account(usize),
    /// Row `.0`'s token for its API `.1` (`resources`).
    Api(usize, usize),
}

pub fn draw(frame: &mut Frame, model: &Model, area: Rect) {
    let visible = model.visible();
    let title = if model.filter.is_empty() {
        format!(" Accounts ({}) ", model.accounts.len())
    } else {
        format!(
            " Accounts ({} of {}, filter '{}') ",
            visible.len(),
            model.accounts.len(),
            model.filter.text()
        )
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    // Provider headers interleaved with rows; only the window on screen is styled.
    let mut entries = Vec::with_capacity(visible.len() + 8);
    let mut selected_line = 0;
    for &i in &visible {
        let provider_changed = match entries.last() {
            None => true,
            Some(Entry::Account(prev) | Entry::Provider(prev) | Entry::Api(prev, _)) => {
                model.accounts[*prev].provider != model.accounts[i].provider
            }
        };
        if provider_changed {
            entries.push(Entry::Provider(i));
        }
        if i == model.selected {
            selected_line = entries.len();
        }
        entries.push(Entry::Account(i));
        entries.extend((0..model.accounts[i].apis.len()).map(|j| Entry::Api(i, j)));
    }
    if entries.is_empty() {
        let text = if model.accounts.is_empty() {
            "No accounts in the config yet: press A to add one."
        } else {
            "No account matches the filter (Esc clears it)."
        };
        frame.render_widget(
            Paragraph::new(text).style(Style::new().fg(Color::DarkGray)),
            inner,
        );
        return;
    }
    let height = inner.height as usize;
    let offset = if selected_line >= height {
        selected_line + 1 - height
    } else {
        0
    };
    let width = inner.width as usize;
    let lines: Vec<Line> = entries
        .iter()
        .skip(offset)
        .take(height)
        .map(|entry| match *entry {
            // Broken account tables have no provider to group them by.
            Entry::Provider(i) if model.accounts[i].health.config_error().is_some() => {
                Line::from(Span::styled(
                    "config errors",
                    Style::new().add_modifier(Modifier::BOLD).fg(Color::Red),
                ))
            }
            Entry::Provider(i) => Line::from(Span::styled(
                model.accounts[i].provider.clone(),
                Style::new().add_modifier(Modifier::BOLD).fg(Color::Blue),
            )),
            Entry::Account(i) => account_line(model, i, width),
            Entry::Api(i, j) => api_line(model, i, j, width),
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn account_line(model: &Model, i: usize, width: usize) -> Line<'static> {
    let row = &model.accounts[i];
    let status = model.status_of(row);
    let color = urgency_color(status.urgency());
    let badge = status.label();
    let name_width = width.saturating_sub(badge.chars().count() + 5).max(1);
    let mut name: String = row.name.chars().take(name_width).collect();
    if row.health.error().is_some() {
        name.push('!');
    }
    // The account commands started here would use.
    let here = model.here.as_ref().is_some_and(|h| h.name == row.name);
    let mut mark = String::new();
    if here {
        mark.push_str(" ⌂");
    }
    if row.tokens.as_ref().is_some_and(|t| t.is_dpop()) {
        mark.push_str(" DPoP");
    }
    if let Some(from) = row.source.exchanged_from() {
        mark.push_str(&format!(" ⇐ {from}"));
    }
    // The who's two leading spaces and at least one before the badge: it never runs
    // into the countdown (`bob@example.test52s`).
    let room = width.saturating_sub(
        4 + name.chars().count() + mark.chars().count() + badge.chars().count() + 3,
    );
    let who: String = match &row.identity {
        Some(identity) if room > 3 => {
            let who = identity.who();
            if who.chars().count() > room {
                let cut: String = who.chars().take(room - 1).collect();
                format!("  {cut}…")
            } else {
                format!("  {who}")
            }
        }
        _ => String::new(),
    };
    let pad = width.saturating_sub(
        4 + name.chars().count()
            + mark.chars().count()
            + who.chars().count()
            + badge.chars().count(),
    );
    let selected = i == model.selected;
    let base = if selected {
        Style::new()
            .bg(Color::DarkGray)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    };
    Line::from(vec![
        Span::styled(if selected { "▶ " } else { "  " }, base),
        Span::styled("● ", base.fg(color)),
        Span::styled(name, base),
        Span::styled(mark.clone(), base.fg(Color::Cyan)),
        Span::styled(who, base.fg(Color::Gray)),
        Span::styled(" ".repeat(pad), base),
        Span::styled(badge, base.fg(color)),
    ])
}

/// `    └ https://api.example   12m 3s`: the token of one of the account's APIs.
fn api_line(model: &Model, i: usize, j: usize, width: usize) -> Line<'static> {
    let api = &model.accounts[i].apis[j];
    let status = api.status(model.now);
    let badge = status.label();
    let room = width.saturating_sub(badge.chars().count() + 8).max(1);
    let name: String = api.resource.chars().take(room).collect();
    let pad = width.saturating_sub(6 + name.chars().count() + badge.chars().count());
    Line::from(vec![
        Span::styled("    └ ", Style::new().fg(Color::DarkGray)),
        Span::styled(name, Style::new().fg(Color::Gray)),
        Span::raw(" ".repeat(pad)),
        Span::styled(badge, Style::new().fg(urgency_color(status.urgency()))),
    ])
}
