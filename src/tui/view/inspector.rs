//! The inspector: a pasted token's verdict, header and claims; its edited claims while
//! they are not signed; or its comparison with a second token; then the input line and
//! the keys.

use super::claims;
use crate::jwt::compare::{Change, Row};
use crate::tui::model::{Checked, Field, Inspector, Model};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

pub(super) fn inspect(frame: &mut Frame, model: &Model, area: Rect, inspector: &Inspector) {
    let columns = area.width.saturating_sub(8).max(20).saturating_sub(2);
    let mut lines = if let Some(rows) = &inspector.compare {
        comparison(rows)
    } else if let Some(draft) = &inspector.draft {
        let mut lines = vec![Line::styled(
            "Edited claims, not signed: S signs them (with a key file, or the secret given to s)",
            Style::new().fg(Color::Yellow),
        )];
        let claims = serde_json::Value::Object(draft.claims.clone());
        lines.extend(claims::lines(
            &Ok(crate::jwt::Decoded::Jwt {
                header: serde_json::Value::Object(draft.header.clone()),
                claims,
            }),
            model.now,
            columns,
        ));
        lines
    } else {
        match &inspector.decoded {
            None => vec![Line::raw(
                "Paste a JWT (your terminal's paste key) to decode it.",
            )],
            Some(decoded) => {
                let hint = match decoded {
                    Ok(crate::jwt::Decoded::Jwt { .. }) => "a, u, s or f to verify",
                    _ => "not a signed JWT: nothing to verify",
                };
                let mut lines = claims::trust_lines(inspector.checked.as_ref(), hint);
                lines.extend(claims::lines(decoded, model.now, columns));
                lines
            }
        }
    };
    lines.push(Line::raw(""));
    if let Some((field, input)) = &inspector.input {
        let yellow = Style::new().fg(Color::Yellow);
        let mut spans = vec![Span::styled(format!("{}: ", label(*field)), yellow)];
        if *field == Field::Secret {
            // Never on the screen: one dot per character.
            let dots = "•".repeat(input.text().chars().count());
            spans.extend(super::with_cursor(&dots, input.cursor(), yellow));
        } else {
            spans.extend(super::with_cursor(input.text(), input.cursor(), yellow));
        }
        spans.push(Span::styled("   (Enter, Esc cancels)", yellow));
        lines.push(Line::from(spans));
    }
    if let Some(note) = &inspector.note {
        lines.push(Line::styled(note.clone(), Style::new().fg(Color::Red)));
    }
    let title = if inspector.compare.is_some() {
        " Inspector: this token against the second ".to_string()
    } else if inspector.draft.is_some() {
        // No verdict applies to claims nobody signed.
        " Inspector: edited claims, not signed ".to_string()
    } else {
        match &inspector.checked {
            Some(Checked {
                verdict: Ok(v @ crate::jwt::verify::Verdict::Valid { .. }),
                ..
            }) => format!(" Inspector: {} ", v.describe()),
            _ => " Inspector: decoded, not verified ".to_string(),
        }
    };
    super::popups::scrolling(frame, area, title, lines, inspector.scroll);
}

fn label(field: Field) -> &'static str {
    match field {
        Field::Issuer => "issuer URL",
        Field::Secret => "secret",
        Field::KeyFile => "public key file (PEM or JWK)",
        Field::Edit => "claim edit (name=value, -name, exp+=10m)",
        Field::SignKey => "sign with private key file (empty: the secret given to s)",
        Field::Compare => "paste the token to compare with",
    }
}

/// One line per header field and claim: what changed first in colour, the same dimmed.
fn comparison(rows: &[Row]) -> Vec<Line<'static>> {
    let differ = rows
        .iter()
        .filter(|r| !matches!(r.change, Change::Same(_)))
        .count();
    let mut lines = vec![Line::styled(
        format!("{differ} of {} fields differ", rows.len()),
        Style::new().add_modifier(Modifier::BOLD),
    )];
    let show = |v: &serde_json::Value| crate::printable::printable(&v.to_string()).into_owned();
    for row in rows {
        let name = format!("{} {}", row.part, row.name);
        let (text, style) = match &row.change {
            Change::Same(v) => (
                format!("  {name}: {}", show(v)),
                Style::new().fg(Color::DarkGray),
            ),
            Change::Changed(a, b) => (
                format!("~ {name}: {} → {}", show(a), show(b)),
                Style::new().fg(Color::Yellow),
            ),
            Change::OnlyFirst(v) => (
                format!("- {name}: {} (only in this token)", show(v)),
                Style::new().fg(Color::Red),
            ),
            Change::OnlySecond(v) => (
                format!("+ {name}: {} (only in the second)", show(v)),
                Style::new().fg(Color::Green),
            ),
        };
        lines.push(Line::styled(text, style));
    }
    lines
}

/// The inspector's keys, for the status line while it is open.
pub fn keys(inspector: &Inspector) -> &'static str {
    if inspector.compare.is_some() {
        "Esc: back to the token   j/k scroll"
    } else {
        "verify: a account  u issuer  s secret  f key file   e edit claim  S sign  d compare  c copy   j/k scroll  Esc closes"
    }
}
