//! Help, login progress (device code in large type with a QR code), logout confirmation,
//! and the token inspector, drawn over the panes.

use super::{bigtext, centered};
use crate::humanize;
use crate::tui::keys;
use crate::tui::model::Confirm;
use crate::tui::model::{LoginStage, Model, Popup};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// Keys of popups, after the account list's (which come from [`keys::KEYS`]).
pub const POPUP_HELP: &[(&str, &str)] = &[
    ("← → Enter", "answer a question (Esc: no)"),
    ("Esc", "close a popup, cancel a login"),
    (
        "name!",
        "the account's last error, shown in the details pane",
    ),
    (
        "DPoP",
        "its tokens are bound to the account's key (RFC 9449)",
    ),
    (
        "⇐ src",
        "its tokens are exchanged from account src (RFC 8693)",
    ),
    ("└ URI", "its token for that API (`resources`), kept fresh"),
];

pub fn draw(frame: &mut Frame, model: &Model) {
    let area = frame.area();
    match &model.popup {
        None => {}
        Some(Popup::Help { scroll }) => help(frame, area, *scroll),
        Some(Popup::Confirm(confirm)) => question(frame, area, confirm),
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
            super::inspector::inspect(frame, model, area, inspector)
        }
    }
}

/// Every key: the account list's from the key table, then the popups'.
fn help(frame: &mut Frame, area: Rect, scroll: u16) {
    let help: Vec<(&str, &str)> = keys::KEYS
        .iter()
        .map(|b| (b.shown, b.help))
        .chain(POPUP_HELP.iter().copied())
        .collect();
    let height = help.len() as u16 + 2;
    let lines: Vec<Line> = help
        .into_iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!("{k:<12}"), Style::new().fg(Color::Yellow)),
                Span::raw(v),
            ])
        })
        .collect();
    if height <= area.height {
        show(
            frame,
            centered(area, 76, height),
            " Keys (Esc closes) ",
            lines,
        );
    } else {
        // A short terminal: the list scrolls, and the title says how.
        let rect = centered(area, 76, area.height);
        let scroll = scroll.min(height.saturating_sub(area.height));
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(lines)
                .block(Block::bordered().title(" Keys (j/k scroll, Esc closes) "))
                .scroll((scroll, 0)),
            rect,
        );
    }
}

/// A large popup whose text scrolls (inspector, provider JSON).
pub(super) fn scrolling(
    frame: &mut Frame,
    area: Rect,
    title: String,
    lines: Vec<Line>,
    scroll: u16,
) {
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
/// A destructive question: its text, then the answers with the highlighted one in
/// reverse video.
fn question(frame: &mut Frame, area: Rect, confirm: &Confirm) {
    let mut lines: Vec<Line> = confirm.lines.iter().map(|l| Line::raw(l.clone())).collect();
    lines.push(Line::raw(""));
    lines.push(answers(
        confirm.answers.iter().map(|(label, _)| label.as_str()),
        confirm.highlighted,
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "← → choose   Enter confirms   Esc: no",
        Style::new().fg(Color::DarkGray),
    ));
    let width = 76.min(area.width);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    // Words wrap on word boundaries: a row more per long paragraph than the division.
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner).max(1) + usize::from(l.width() > inner))
        .sum();
    show(
        frame,
        centered(area, width, rows as u16 + 2),
        &confirm.title,
        lines,
    );
}

/// `[ Keep ]  [ Log out ]` with the highlighted answer in reverse video.
pub(super) fn answers<'a>(
    labels: impl Iterator<Item = &'a str>,
    highlighted: usize,
) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, label) in labels.enumerate() {
        let style = if i == highlighted {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new()
        };
        spans.push(Span::styled(format!("[ {label} ]"), style));
        spans.push(Span::raw("  "));
    }
    Line::from(spans)
}

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
