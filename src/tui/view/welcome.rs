//! First run (no config yet) and a config that failed to parse.

use crate::config::preset_names;
use crate::tui::model::{Model, Setup};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

const EXAMPLE: &str = r#"[providers.work-idp]
issuer = "https://idp.example"
client_id = "tokdeck"
scopes = ["openid", "profile", "offline_access"]
flow = "device"

[accounts.alice-work]
provider = "work-idp""#;

pub fn draw(frame: &mut Frame, model: &Model, area: Rect) {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines = Vec::new();
    match &model.setup {
        Setup::FirstRun { config_path } => {
            lines.push(Line::styled("Welcome to tokdeck", bold.fg(Color::Green)));
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Press A to add your first account: pick a preset (Google, GitHub, Microsoft, …), an issuer, or an API's URL (MCP servers); tokdeck shows the file before it writes it.",
                Style::new().fg(Color::Yellow),
            ));
            lines.push(Line::raw(""));
            lines.push(Line::raw(format!(
                "Or create {} by hand",
                config_path.display()
            )));
            lines.push(Line::raw("with a provider and an account, for example:"));
        }
        Setup::Broken { message } => {
            lines.push(Line::styled("The config has an error", bold.fg(Color::Red)));
            lines.push(Line::raw(""));
            lines.push(Line::styled(message.clone(), Style::new().fg(Color::Red)));
            lines.push(Line::raw(""));
            lines.push(Line::raw("Fix the file; tokdeck notices as soon as it is saved (it never rewrites a broken file). A valid example:"));
        }
        Setup::Ready => {}
    }
    lines.push(Line::raw(""));
    lines.extend(
        EXAMPLE
            .lines()
            .map(|l| Line::styled(format!("    {l}"), Style::new().fg(Color::Cyan))),
    );
    lines.push(Line::raw(""));
    lines.push(Line::raw(format!(
        "Presets (preset = \"NAME\" instead of issuer): {}",
        preset_names().join(", ")
    )));
    lines.push(Line::raw(
        "tokdeck notices the file as soon as it is saved; then log in with l, or run `tokdeck login alice-work`.",
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Meanwhile the inspector works: paste a JWT (or press I) to decode it. q quits.",
        Style::new().fg(Color::Yellow),
    ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(" tokdeck "))
            .wrap(Wrap { trim: false }),
        area,
    );
}
