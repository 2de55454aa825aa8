//! Decoded header and claims of the access or ID token, time claims humanized.

use crate::jwt::verify::Verdict;
use crate::jwt::{self, Decoded, TIME_CLAIMS};
use crate::tui::model::{Checked, Model, TokenChoice};
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use serde_json::Value;

pub fn draw(frame: &mut Frame, model: &Model, area: Rect) {
    let tokens = model.selected_row().and_then(|r| r.tokens.as_ref());
    let id_token = tokens.and_then(|t| t.id_token.as_ref());
    let trust = model.selected_row().and_then(|r| r.trust.as_ref());
    // Without an ID token, `t` shows the access token rather than nothing.
    let (title, token, checked) = match (model.claims.source, id_token) {
        (TokenChoice::Id, Some(id)) => (
            " Claims: ID token (t: access token, J/K scroll) ",
            Some(id.expose()),
            trust.and_then(|t| t.id.as_ref()),
        ),
        (TokenChoice::Id, None) if tokens.is_some() => (
            " Claims: access token (the account holds no ID token) ",
            tokens.map(|t| t.access_token.expose()),
            trust.and_then(|t| t.access.as_ref()),
        ),
        _ => (
            " Claims: access token (t: ID token, J/K scroll) ",
            tokens.map(|t| t.access_token.expose()),
            trust.and_then(|t| t.access.as_ref()),
        ),
    };
    let lines = match token {
        None => vec![Line::styled(
            "no such token",
            Style::new().fg(Color::DarkGray),
        )],
        Some(token) => {
            let mut out = trust_lines(checked, "checking…");
            out.extend(lines(
                &jwt::decode(token).map_err(|e| e.to_string()),
                model.now,
                area.width.saturating_sub(2),
            ));
            out
        }
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(title))
            .wrap(Wrap { trim: false })
            .scroll((model.claims.scroll, 0)),
        area,
    );
}

/// The verdict line and one line per risk; `pending` until a check reports.
pub fn trust_lines(checked: Option<&Checked>, pending: &str) -> Vec<Line<'static>> {
    let Some(checked) = checked else {
        return vec![Line::styled(
            format!("signature: {pending}"),
            Style::new().fg(Color::DarkGray),
        )];
    };
    let (text, color) = match &checked.verdict {
        Ok(v @ Verdict::Valid { .. }) => (v.describe(), Color::Green),
        Ok(v @ Verdict::NotVerifiable(_)) => (v.describe(), Color::DarkGray),
        Ok(v) => (v.describe(), Color::Red),
        Err(e) => (format!("not checked: {e}"), Color::DarkGray),
    };
    let mut out = vec![Line::styled(
        text,
        Style::new().fg(color).add_modifier(Modifier::BOLD),
    )];
    out.extend(checked.risks.iter().map(|r| {
        Line::styled(
            format!("⚠ {}", r.describe()),
            Style::new().fg(Color::Yellow),
        )
    }));
    out
}

/// The lines for a decoded token, for a pane `columns` wide inside its borders; shared
/// with the inspector.
pub fn lines(
    decoded: &Result<Decoded, String>,
    now: DateTime<Utc>,
    columns: u16,
) -> Vec<Line<'static>> {
    let heading = |t: &str| {
        Line::styled(
            t.to_string(),
            Style::new().add_modifier(Modifier::BOLD).fg(Color::Blue),
        )
    };
    match decoded {
        Err(e) => vec![Line::styled(e.clone(), Style::new().fg(Color::Red))],
        Ok(Decoded::Opaque) => vec![Line::styled(
            "Not a JWT: an opaque token that only the provider can read.",
            Style::new().fg(Color::DarkGray),
        )],
        Ok(Decoded::Encrypted { header }) => {
            let mut out = vec![heading("Header (encrypted token: claims unreadable)")];
            out.extend(object_lines(header, now, columns));
            out
        }
        Ok(Decoded::Jwt { header, claims }) => {
            let mut out = vec![heading("Header")];
            out.extend(object_lines(header, now, columns));
            out.push(Line::raw(""));
            out.push(heading("Claims"));
            out.extend(object_lines(claims, now, columns));
            out
        }
    }
}

/// `key  value  (meaning)`; a meaning that does not fit beside the value goes on the next
/// line, under the value, instead of wrapping to the pane's left edge.
fn object_lines(value: &Value, now: DateTime<Utc>, columns: u16) -> Vec<Line<'static>> {
    let Value::Object(map) = value else {
        return vec![Line::raw(value.to_string())];
    };
    let width = map
        .keys()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(20);
    let mut out = Vec::new();
    for (key, value) in map {
        let name = Span::styled(format!("  {key:<width$}  "), Style::new().fg(Color::Cyan));
        let text = match value {
            Value::String(s) if key == "scope" || key == "scp" => {
                s.split_whitespace().collect::<Vec<_>>().join(", ")
            }
            Value::String(s) => s.clone(),
            Value::Number(_) if TIME_CLAIMS.contains(&key.as_str()) => {
                match jwt::time_claim(map, key) {
                    Some(at) => format!("{value}  {}", crate::humanize::instant(at, now)),
                    None => value.to_string(),
                }
            }
            Value::Object(_) | Value::Array(_) => {
                out.push(Line::from(name));
                let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
                out.extend(pretty.lines().map(|l| Line::raw(format!("    {l}"))));
                continue;
            }
            other => other.to_string(),
        };
        let used = 4 + width + text.chars().count();
        let mut spans = vec![name, Span::raw(text)];
        let dim = Style::new().fg(Color::DarkGray);
        match crate::jwt::explain::describe(key) {
            Some(meaning) if used + 4 + meaning.chars().count() <= usize::from(columns) => {
                spans.push(Span::styled(format!("  ({meaning})"), dim));
                out.push(Line::from(spans));
            }
            Some(meaning) => {
                out.push(Line::from(spans));
                out.push(Line::styled(
                    format!("{}({meaning})", " ".repeat(4 + width)),
                    dim,
                ));
            }
            None => out.push(Line::from(spans)),
        }
    }
    out
}
