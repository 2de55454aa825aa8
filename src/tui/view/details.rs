//! The selected account: provider, flow, scopes, times, refresh state, last error.

use super::urgency_color;
use crate::humanize;
use crate::tui::model::Model;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, model: &Model, area: Rect) {
    let block = Block::bordered().title(" Details ");
    let Some(row) = model.selected_row() else {
        frame.render_widget(Paragraph::new("").block(block), area);
        return;
    };
    let now = model.now;
    let status = row.status(now);
    let label = |text: &str| Span::styled(format!("{text:<14}"), Style::new().fg(Color::DarkGray));
    let field = |name: &str, value: String| Line::from(vec![label(name), Span::raw(value)]);
    let mut lines = vec![
        Line::from(vec![
            label("account"),
            Span::raw(format!("{}  ", row.name)),
            Span::styled(
                status.label(),
                Style::new().fg(urgency_color(status.urgency())),
            ),
        ]),
        field(
            "provider",
            format!("{}  (flow: {})", row.provider, row.flow),
        ),
    ];
    if let Some(identity) = &row.identity {
        lines.push(field("who", identity.who().to_string()));
        for (name, value) in [
            ("name", &identity.name),
            ("username", &identity.preferred_username),
            ("email", &identity.email),
        ] {
            if let Some(value) = value.as_ref().filter(|v| v.as_str() != identity.who()) {
                lines.push(field(name, value.clone()));
            }
        }
        lines.push(field(
            "subject",
            format!("{}  at {}", identity.sub, identity.iss),
        ));
    }
    if let Some(here) = model.here.as_ref().filter(|h| h.name == row.name) {
        lines.push(field(
            "here",
            format!("commands here use this account ({})", here.why),
        ));
    }
    match &row.tokens {
        None => lines.push(field("tokens", "none: press l to log in".into())),
        Some(tokens) => {
            lines.push(field(
                "scopes",
                if tokens.scopes.is_empty() {
                    "-".into()
                } else {
                    tokens.scopes.join(" ")
                },
            ));
            lines.push(field("token type", tokens.token_type.clone()));
            lines.push(field("issued at", humanize::instant(tokens.issued_at, now)));
            lines.push(field(
                "expires at",
                tokens
                    .expires_at
                    .map_or("never (no expires_in)".into(), |at| {
                        humanize::instant(at, now)
                    }),
            ));
            if let Some(skew) = tokens.exp_skew() {
                lines.push(Line::from(vec![
                    label("clock skew"),
                    Span::styled(
                        format!(
                            "the token's exp is {} {} than expires_in says; check the clocks",
                            humanize::duration(chrono::Duration::seconds(skew)),
                            if skew > 0 { "later" } else { "earlier" }
                        ),
                        Style::new().fg(Color::Yellow),
                    ),
                ]));
            }
            lines.push(field(
                "refresh token",
                if tokens.refresh_token.is_some() {
                    "held".into()
                } else {
                    "none".into()
                },
            ));
            lines.push(field(
                "last refresh",
                row.last_refresh
                    .map_or("-".into(), |at| humanize::instant(at, now)),
            ));
            let token = if model.reveal {
                tokens.access_token.expose().to_string()
            } else {
                format!(
                    "•••••••• ({} chars; v reveals)",
                    tokens.access_token.expose().len()
                )
            };
            lines.push(field("access token", token));
        }
    }
    if let Some(retry) = row.retry {
        lines.push(field(
            "next retry",
            format!(
                "attempt {} {}",
                retry.attempt + 1,
                humanize::relative(retry.at, now)
            ),
        ));
    }
    if let Some(error) = &row.last_error {
        lines.push(Line::from(vec![
            label("last error"),
            Span::styled(error.clone(), Style::new().fg(Color::Red)),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
