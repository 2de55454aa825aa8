//! Help, login progress (device code in large type with a QR code), logout confirmation,
//! and the token inspector, drawn over the panes.

use super::{bigtext, centered, claims};
use crate::humanize;
use crate::tui::model::{LoginStage, Model, Popup};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

pub const HELP: &[(&str, &str)] = &[
    ("↑ ↓ / j k", "move; PgUp PgDn, g G jump"),
    ("/", "filter accounts by name or provider (Esc clears)"),
    ("l / Enter", "log in with the account's flow"),
    ("r", "refresh now"),
    ("x", "log out (revoke and delete; asks first)"),
    ("A", "add an account (writes config.toml after a review)"),
    ("e", "change the account's provider, flow or scopes"),
    ("D", "remove the account (logs out first; asks first)"),
    ("c", "copy the access token"),
    ("i", "copy the ID token"),
    ("a", "copy the Authorization header"),
    ("t", "claims of the access token / the ID token"),
    ("J K", "scroll the claims"),
    ("v", "reveal / mask the access token"),
    ("n", "introspect the access token at the provider"),
    ("U", "the provider's userinfo for the account"),
    ("I or paste", "inspect any JWT; there a/u verify it"),
    ("Esc", "close a popup, cancel a login"),
    ("?", "this help"),
    ("q / Ctrl-C", "quit"),
];

pub fn draw(frame: &mut Frame, model: &Model) {
    let area = frame.area();
    match &model.popup {
        None => {}
        Some(Popup::Help) => {
            let lines: Vec<Line> = HELP
                .iter()
                .map(|(k, v)| {
                    Line::from(vec![
                        Span::styled(format!("{k:<12}"), Style::new().fg(Color::Yellow)),
                        Span::raw(*v),
                    ])
                })
                .collect();
            show(
                frame,
                centered(area, 66, HELP.len() as u16 + 2),
                " Keys (Esc closes) ",
                lines,
            );
        }
        Some(Popup::ConfirmLogout { account }) => {
            let lines = vec![
                Line::raw(format!("Log out of '{account}'?")),
                Line::raw("Revokes the tokens at the provider and deletes them here."),
                Line::raw(""),
                Line::styled(
                    "y: log out    n / Esc: keep",
                    Style::new().fg(Color::Yellow),
                ),
            ];
            show(frame, centered(area, 62, 6), " Log out ", lines);
        }
        Some(Popup::ConfirmReplaceUser { account, message }) => {
            let lines = vec![
                Line::raw(message.clone()),
                Line::raw(""),
                Line::raw(format!(
                    "Log in again and make '{account}' that person's? The tokens it holds now are revoked."
                )),
                Line::raw(""),
                Line::styled(
                    "Enter: log in again and replace    Esc: keep the account as it is",
                    Style::new().fg(Color::Yellow),
                ),
            ];
            show(frame, centered(area, 76, 12), " Another person ", lines);
        }
        Some(Popup::Login { account, stage }) => login(frame, model, area, account, stage),
        Some(Popup::Editor(editor)) => super::editor::form(frame, area, editor),
        Some(Popup::Review(review)) => super::editor::review(frame, area, review),
        Some(Popup::Json {
            title,
            body,
            scroll,
        }) => {
            let lines: Vec<Line> = match body {
                Ok(value) => serde_json::to_string_pretty(value)
                    .unwrap_or_default()
                    .lines()
                    .map(|l| Line::raw(l.to_string()))
                    .collect(),
                Err(e) => vec![Line::styled(e.clone(), Style::new().fg(Color::Red))],
            };
            scrolling(
                frame,
                area,
                format!(" {title} (j/k scroll, Esc closes) "),
                lines,
                *scroll,
            );
        }
        Some(Popup::Inspector(inspector)) => {
            let mut lines = match &inspector.decoded {
                None => vec![Line::raw(
                    "Paste a JWT (your terminal's paste key) to decode it.",
                )],
                Some(decoded) => {
                    let mut lines =
                        claims::trust_lines(inspector.checked.as_ref(), "a or u to verify");
                    // The scrolling popup's width inside its borders.
                    let columns = area.width.saturating_sub(8).max(20).saturating_sub(2);
                    lines.extend(claims::lines(decoded, model.now, columns));
                    lines
                }
            };
            lines.push(Line::raw(""));
            if let Some(input) = &inspector.issuer_input {
                lines.push(Line::styled(
                    format!("issuer URL: {input}█   (Enter verifies, Esc cancels)"),
                    Style::new().fg(Color::Yellow),
                ));
            }
            lines.push(Line::styled(
                "a: verify with the selected account's provider   u: verify with an issuer URL   j/k scroll, Esc closes",
                Style::new().fg(Color::DarkGray),
            ));
            scrolling(
                frame,
                area,
                match &inspector.checked {
                    Some(crate::tui::model::Checked {
                        verdict: Ok(v @ crate::jwt::verify::Verdict::Valid { .. }),
                        ..
                    }) => format!(" Inspector: {} ", v.describe()),
                    _ => " Inspector: decoded, not verified ".to_string(),
                },
                lines,
                inspector.scroll,
            );
        }
    }
}

/// A large popup whose text scrolls (inspector, provider JSON).
fn scrolling(frame: &mut Frame, area: Rect, title: String, lines: Vec<Line>, scroll: u16) {
    let rect = centered(
        area,
        area.width.saturating_sub(8).max(20),
        area.height.saturating_sub(4).max(5),
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(title))
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        rect,
    );
}

/// A bordered popup over whatever is below it.
pub(super) fn show(frame: &mut Frame, rect: Rect, title: &str, lines: Vec<Line>) {
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(title.to_string()))
            .wrap(Wrap { trim: false }),
        rect,
    );
}

fn login(frame: &mut Frame, model: &Model, area: Rect, account: &str, stage: &LoginStage) {
    let title = format!(" Log in to '{account}' (Esc cancels) ");
    let hint = Style::new().fg(Color::DarkGray);
    match stage {
        LoginStage::Starting => show(
            frame,
            centered(area, 60, 5),
            &title,
            vec![Line::raw("Contacting the provider…")],
        ),
        LoginStage::Browser { url } => {
            let lines = vec![
                Line::raw("Waiting for the browser. If it did not open, visit:"),
                Line::raw(""),
                Line::styled(url.clone(), Style::new().fg(Color::Cyan)),
                Line::raw(""),
                Line::styled("o: open the browser again", hint),
            ];
            let width = area.width.saturating_sub(6).min(100);
            show(frame, centered(area, width, 12), &title, lines);
        }
        LoginStage::Device {
            user_code,
            verification_uri,
            complete,
            expires_at,
        } => {
            let mut lines = vec![
                Line::from(vec![
                    Span::raw("Open "),
                    Span::styled(verification_uri.clone(), Style::new().fg(Color::Cyan)),
                ]),
                Line::raw("and enter the code:"),
                Line::raw(""),
            ];
            let code_style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
            match bigtext::render(user_code) {
                Some(rows) if bigtext::width(user_code) + 4 <= area.width as usize => {
                    lines.extend(rows.into_iter().map(|r| Line::styled(r, code_style)));
                }
                _ => {}
            }
            lines.push(Line::styled(user_code.clone(), code_style));
            lines.push(Line::raw(""));
            if let Some(link) = complete {
                let qr = qr_lines(link);
                let fits = qr.len() + lines.len() + 6 <= area.height as usize;
                if fits {
                    lines.push(Line::styled("or scan (the code is included):", hint));
                    lines.extend(qr.into_iter().map(Line::raw));
                } else {
                    lines.push(Line::styled(format!("or open {link}"), hint));
                }
            }
            lines.push(Line::styled(
                format!(
                    "o: open the browser   c: copy the code   expires {}",
                    humanize::relative(*expires_at, model.now)
                ),
                hint,
            ));
            let widest = lines
                .iter()
                .map(Line::width)
                .max()
                .unwrap_or(0)
                .max(title.chars().count()) as u16;
            show(
                frame,
                centered(area, widest + 2, lines.len() as u16 + 2),
                &title,
                lines,
            );
        }
    }
}

/// `link` as a QR code in half-block characters (two modules per character cell).
fn qr_lines(link: &str) -> Vec<String> {
    use qrcode::render::unicode::Dense1x2;
    match qrcode::QrCode::new(link.as_bytes()) {
        Ok(code) => code
            .render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build()
            .lines()
            .map(str::to_string)
            .collect(),
        Err(_) => Vec::new(),
    }
}
