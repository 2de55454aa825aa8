//! `tokdeck man`: one page, from the same clap definitions as `--help` (the synopsis,
//! the options, each command with its own), plus what `--help` has no room for: every
//! config key, the environment, the files, the exit statuses and examples.

use super::args::Cli;
use clap::CommandFactory;
use std::fmt::Write;

mod keys;
pub use keys::KEYS;

const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "TOKDECK_HOME",
        "one directory for the config, the tokens and the cache (instead of the platform directories)",
    ),
    ("TOKDECK_ACCOUNT", "the account for commands that name none"),
    (
        "TOKDECK_STORE",
        "\"keyring\" or \"file\", over the config's store",
    ),
    (
        "TOKDECK_LOG",
        "a log level for tokdeck.log in the data directory (like --log-level)",
    ),
    (
        "TOKDECK_HTTP_TIMEOUT",
        "seconds a provider request may take (default 30)",
    ),
    (
        "TOKDECK_COMPLETE",
        "set by the shell code of tokdeck completions when it asks for candidates",
    ),
    (
        "BROWSER",
        "the program that opens URLs for the browser flow",
    ),
    ("NO_COLOR", "the dashboard uses no colour"),
    (
        "TOKDECK_AGENT_SOCK",
        "the agent's socket for commands (set on remote hosts by tokdeck ssh); an agent that does not answer there is an error",
    ),
    (
        "TOKDECK_AGENT",
        "off: commands never ask the agent (direct mode)",
    ),
];

const FILES: &[(&str, &str)] = &[
    (
        "config.toml",
        "the config: ~/.config/tokdeck/config.toml on Linux, $TOKDECK_HOME/config.toml when set, or --config PATH",
    ),
    (
        "tokens/NAME.json",
        "an account's tokens with store = \"file\" (0600, written atomically), in the data directory (~/.local/share/tokdeck)",
    ),
    (
        "NAME.lock",
        "the cross-process refresh lock of an account, in the data directory",
    ),
    (
        "tokdeck.log",
        "the log, when --log-level or TOKDECK_LOG asks for one (0600, never secrets)",
    ),
    (
        "discovery/",
        "cached provider metadata, in the cache directory (~/.cache/tokdeck)",
    ),
    (
        "agent.sock",
        "the agent's socket: $XDG_RUNTIME_DIR/tokdeck/agent.sock, else agent/agent.sock in the data directory (a 0700 directory)",
    ),
    (
        "agent-audit.jsonl",
        "the agent's audit: who got which token (its SHA-256, never the token), in the data directory (0600)",
    ),
];

const EXIT_STATUS: &[(&str, &str)] = &[
    (
        "0",
        "success, also when the reader of stdout went away (tokdeck list | head -1); list exits 0 whatever the accounts' states",
    ),
    (
        "1",
        "the provider, the network or the store failed, or stdout could not be written; a login refused because it came back as another person; a damaged JWT given to decode",
    ),
    (
        "2",
        "bad usage or a bad config file, or the account named has a broken table (config_error)",
    ),
    (
        "3",
        "decode was given a key source and the token is not a validly signed, current token (signature invalid, unknown key, not verifiable, alg none, expired or not yet valid)",
    ),
    (
        "4",
        "no usable token: only tokdeck login helps (no token, the refresh token was rejected, or the tokens were issued by another server or client than configured now); with --strict, also a token that lives shorter than --min-valid because the provider issues none longer",
    ),
];

const EXAMPLES: &[(&str, &str)] = &[
    (
        "tokdeck add work --provider corp --issuer https://sso.example.com --client-id tokdeck",
        "add an account (and its provider) to config.toml",
    ),
    ("tokdeck login work", "log in with the account's flow"),
    (
        "curl -H \"$(tokdeck header work)\" https://api.example.com/me",
        "call an API",
    ),
    (
        "curl -K <(tokdeck export work --format curl) https://api.example.com/me",
        "the same, with the token kept off curl's command line",
    ),
    (
        "eval \"$(tokdeck export work)\"",
        "ACCESS_TOKEN and friends in this shell and its children",
    ),
    (
        "docker run --env-file <(tokdeck export work --format dotenv) IMAGE",
        "the token in a container's environment",
    ),
    (
        "curl -H @<(tokdeck header work --method GET --url \"$U\") \"$U\"",
        "call an API with a DPoP-bound token (the Authorization and DPoP proof lines)",
    ),
    (
        "tokdeck token work --resource https://reports.example.com",
        "a token for another API of the account's `resources`, cached beside its own",
    ),
    (
        "tokdeck token work --min-valid 600 --strict",
        "a token valid for ten more minutes, or exit 4",
    ),
    (
        "tokdeck list --json | jq -r '.[] | select(.state == \"login_needed\") | .account'",
        "the accounts that need a login",
    ),
    (
        "source <(tokdeck completions bash)",
        "completions with the config's account names",
    ),
];

/// The whole page, in roff.
pub fn page() -> std::io::Result<Vec<u8>> {
    let mut root = Cli::command();
    root.build();
    let man = clap_mangen::Man::new(root.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    page.extend(b".SH COMMANDS\n");
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        command(&mut page, sub, "")?;
        let nested = sub
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help");
        for inner in nested {
            command(&mut page, inner, &format!("{} ", sub.get_name()))?;
        }
    }
    let mut text = String::new();
    let _ = writeln!(text, ".SH CONFIGURATION");
    let _ = writeln!(
        text,
        "config.toml has providers and the accounts that use them; unknown keys are refused by name. A broken provider or account table is reported (list shows it as config_error) and the others keep working."
    );
    let mut table = "";
    for (section, key, what) in KEYS {
        if *section != table {
            table = section;
            let _ = writeln!(text, ".SS {}", roff(section));
        }
        let _ = writeln!(text, ".TP\n\\fB{}\\fR\n{}", roff(key), roff(what));
    }
    list(&mut text, "ENVIRONMENT", ENVIRONMENT);
    list(&mut text, "FILES", FILES);
    list(&mut text, "EXIT STATUS", EXIT_STATUS);
    let _ = writeln!(text, ".SH EXAMPLES");
    for (example, what) in EXAMPLES {
        let _ = writeln!(text, ".TP\n\\fB{}\\fR\n{}", roff(example), roff(what));
    }
    page.extend(text.as_bytes());
    // groff's man macros warn on characters outside ASCII; the help text has a few.
    let page = String::from_utf8_lossy(&page)
        .replace('…', "...")
        .replace('—', "-");
    Ok(page.into_bytes())
}

/// One command: its synopsis, what it does, its options (clap's own rendering, with the
/// section headings made into a subsection).
fn command(page: &mut Vec<u8>, sub: &clap::Command, parent: &str) -> std::io::Result<()> {
    // The global options are in OPTIONS above, once.
    let own = sub.clone().mut_args(|a| {
        let global = a.is_global_set() || a.get_id() == "help";
        a.hide(global)
    });
    let man = clap_mangen::Man::new(own.clone());
    let mut part = Vec::new();
    man.render_synopsis_section(&mut part)?;
    man.render_description_section(&mut part)?;
    part.extend(b".PP\n");
    if own.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut part)?;
    }
    let part = String::from_utf8_lossy(&part)
        .replacen(
            ".SH SYNOPSIS",
            &format!(".SS \"tokdeck {parent}{}\"", sub.get_name()),
            1,
        )
        .replace(".SH DESCRIPTION\n", ".PP\n")
        .replace(".SH OPTIONS\n", "");
    page.extend(part.as_bytes());
    Ok(())
}

fn list(text: &mut String, heading: &str, items: &[(&str, &str)]) {
    let _ = writeln!(text, ".SH {heading}");
    for (name, what) in items {
        let _ = writeln!(text, ".TP\n\\fB{}\\fR\n{}", roff(name), roff(what));
    }
}

/// Text safe in roff: backslashes and hyphens escaped, no line starting with a dot, no
/// character outside ASCII (groff's man macros warn on them).
fn roff(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\e")
        .replace('-', "\\-")
        .replace('…', "...");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}
