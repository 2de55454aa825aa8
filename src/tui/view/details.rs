//! The selected account: provider, who it is, flow, scopes, times, refresh state, last
//! error.

use super::urgency_color;
use crate::config::Flow;
use crate::humanize;
use crate::token::Identity;
use crate::token::TokenSet;
use crate::tui::model::{AccountRow, Model, Source, TokenStatus};
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

fn label(text: &str) -> Span<'static> {
    Span::styled(format!("{text:<14}"), Style::new().fg(Color::DarkGray))
}

fn field(name: &str, value: String) -> Line<'static> {
    Line::from(vec![label(name), Span::raw(value)])
}

/// The pane's paragraph: every line of the selected account, wrapped.
pub fn paragraph(model: &Model) -> Paragraph<'static> {
    Paragraph::new(lines(model))
        .block(Block::bordered().title(" Details "))
        .wrap(Wrap { trim: false })
}

/// Rows `paragraph` takes at `width`, borders included (ratatui's own count of the
/// wrapped lines), so that API tokens and the last error are never cut off.
pub fn height(paragraph: &Paragraph<'_>, width: u16) -> u16 {
    // The text wraps inside the side borders; the count adds the top and bottom ones.
    u16::try_from(paragraph.line_count(width.saturating_sub(2))).unwrap_or(u16::MAX)
}

pub fn draw(frame: &mut Frame, paragraph: Paragraph<'_>, area: Rect) {
    frame.render_widget(paragraph, area);
}

fn lines(model: &Model) -> Vec<Line<'static>> {
    let Some(row) = model.selected_row() else {
        return Vec::new();
    };
    let now = model.now;
    let status = model.status_of(row);
    let mut lines = vec![
        Line::from(vec![
            label("account"),
            Span::raw(format!("{}  ", row.name)),
            Span::styled(
                status.label(),
                Style::new().fg(urgency_color(status.urgency())),
            ),
        ]),
        match (row.health.config_error(), &row.source) {
            (Some(reason), _) => field("config error", reason.to_string()),
            (None, Source::Exchange { .. }) => field(
                "provider",
                format!("{}  (tokens by exchange)", row.provider),
            ),
            (None, Source::Login(flow)) => {
                field("provider", format!("{}  (flow: {flow})", row.provider))
            }
            (None, Source::Service) => field(
                "provider",
                format!("{}  (flow: {})", row.provider, Flow::ClientCredentials),
            ),
            (None, Source::Unknown) => field("provider", row.provider.clone()),
        },
    ];
    if let Some(api) = &row.for_api {
        lines.push(field(
            "for API",
            crate::printable::printable(api).into_owned(),
        ));
    }
    if let Some(client) = &row.registered_client {
        lines.push(field(
            "client",
            format!("{client}  (registered by tokdeck, RFC 7591)"),
        ));
    }
    if let Some(identity) = &row.identity {
        lines.extend(who(identity));
    }
    if let Some(here) = model.here.as_ref().filter(|h| h.name == row.name) {
        lines.push(field(
            "here",
            format!("commands here use this account ({})", here.why),
        ));
    }
    if let Some(from) = row.source.exchanged_from() {
        let text = if status == TokenStatus::NeedsLogin && row.status(now) != status {
            format!(
                "tokens exchanged from '{from}' (RFC 8693), which needs a login: select '{from}' and press l"
            )
        } else {
            format!("tokens exchanged from '{from}' (RFC 8693); log in there")
        };
        lines.push(field("source", text));
    }
    match &row.tokens {
        // Whatever the store holds for it is not read while its table is broken.
        None if row.health.config_error().is_some() => lines.push(field(
            "tokens",
            "not read while the account's table is broken (fix it in config.toml)".into(),
        )),
        None if row.source.exchanged_from().is_some() => {
            lines.push(field("tokens", "none yet".into()))
        }
        None => lines.push(field("tokens", "none: press l to log in".into())),
        Some(tokens) => lines.extend(token_lines(
            row,
            tokens,
            now,
            model.reveal.as_deref() == Some(row.name.as_str()),
        )),
    }
    for api in &row.apis {
        let state = match (&api.error, &api.tokens) {
            (Some(e), _) => e.clone(),
            (None, Some(t)) => t.expires_at.map_or("no expiry".into(), |at| {
                format!(
                    "{}, expires {}",
                    t.scopes.join(" "),
                    humanize::relative(at, now)
                )
            }),
            (None, None) => "not fetched yet".into(),
        };
        lines.push(field("API", format!("{}: {state}", api.resource)));
    }
    if let Some(retry) = row.health.retry() {
        lines.push(field(
            "next retry",
            // Counted as the status line counts it.
            format!(
                "retry {} {}",
                retry.attempt,
                humanize::relative(retry.at, now)
            ),
        ));
    }
    if let Some(error) = row.health.error() {
        lines.push(Line::from(vec![
            label("last error"),
            Span::styled(error.to_string(), Style::new().fg(Color::Red)),
        ]));
    }
    lines
}

/// Who the account is: the short "who", the other names, and `sub` at `iss`.
/// Two lines, so that the token's rows stay in view: the names, then `sub` at `iss`.
fn who(identity: &Identity) -> Vec<Line<'static>> {
    let who = identity.who();
    let others: Vec<&str> = [
        &identity.name,
        &identity.preferred_username,
        &identity.email,
    ]
    .into_iter()
    .filter_map(|v| v.as_deref())
    .filter(|v| *v != who)
    .collect();
    let names = if others.is_empty() {
        who.to_string()
    } else {
        format!("{who}  ({})", others.join(", "))
    };
    vec![
        field("who", names),
        field("subject", format!("{}  at {}", identity.sub, identity.iss)),
    ]
}

fn token_lines(
    row: &AccountRow,
    tokens: &TokenSet,
    now: DateTime<Utc>,
    reveal: bool,
) -> Vec<Line<'static>> {
    let mut lines = vec![
        field(
            "scopes",
            if tokens.scopes.is_empty() {
                "-".into()
            } else {
                tokens.scopes.join(" ")
            },
        ),
        field("token type", tokens.token_type.clone()),
        field("issued at", humanize::instant(tokens.issued_at, now)),
        field(
            "expires at",
            tokens
                .expires_at
                .map_or("never (no expires_in)".into(), |at| {
                    humanize::instant(at, now)
                }),
        ),
    ];
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
    let held = if tokens.refresh_token.is_some() {
        "held"
    } else {
        "none"
    };
    lines.push(field("refresh token", held.into()));
    lines.push(field(
        "last refresh",
        row.last_refresh
            .map_or("-".into(), |at| humanize::instant(at, now)),
    ));
    let token = if reveal {
        tokens.access_token.expose().to_string()
    } else {
        format!(
            "•••••••• ({} chars; v reveals)",
            tokens.access_token.expose().len()
        )
    };
    lines.push(field("access token", token));
    lines
}
