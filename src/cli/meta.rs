//! `tokdeck providers`, `completions` and `man`: about tokdeck itself.

use super::error::CliError;
use super::output;

pub fn providers(json: bool) -> Result<(), CliError> {
    let presets = crate::config::presets();
    if json {
        let list: Vec<serde_json::Value> = presets
            .iter()
            .map(|(key, p)| {
                serde_json::json!({
                    "preset": key,
                    "description": p.description,
                    "flow": p.flow,
                    "scopes": p.scopes,
                    "requires": p.requires,
                    "issuer": p.endpoints.issuer,
                })
            })
            .collect();
        return output::line(&serde_json::to_string_pretty(&list).unwrap_or_default());
    }
    let mut out = String::from("PRESET     FLOW      NEEDS                DESCRIPTION");
    for (key, p) in &presets {
        let flow = p.flow.map(|f| f.to_string()).unwrap_or_else(|| "-".into());
        let needs = if p.requires.is_empty() {
            "-".to_string()
        } else {
            p.requires.join(", ")
        };
        out.push_str(&format!(
            "\n{key:<10} {flow:<9} {needs:<20} {}",
            p.description
        ));
    }
    output::line(&out)
}

pub fn completions(shell: clap_complete::Shell) -> Result<(), CliError> {
    let script = super::complete::registration(shell)?;
    output::with(|out| out.write_all(&script))
}

pub fn man() -> Result<(), CliError> {
    let page = super::manual::page()
        .map_err(|e| CliError::Failed(format!("cannot make the man page: {e}")))?;
    output::with(|out| out.write_all(&page))
}
