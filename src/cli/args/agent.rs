//! `tokdeck agent`, `approve` and `audit`: the agent that holds the tokens for other
//! processes, the person's answers to it, and its record.

use clap::Subcommand;

#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    #[command(subcommand)]
    pub command: Option<AgentCommand>,
    /// Stay in the foreground (for systemd, launchd, a terminal of its own); without it
    /// the agent goes to the background and this command returns once it answers.
    #[arg(long)]
    pub foreground: bool,
    /// How long a request waits for a person's answer before it is denied.
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub ask_timeout: String,
    /// Tokens unused for this long are dropped from memory (read from the store again
    /// when asked).
    #[arg(long, value_name = "DURATION", default_value = "15m")]
    pub forget_idle: String,
    /// Lock after this long without a request (default: never).
    #[arg(long, value_name = "DURATION")]
    pub lock_after: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Whether an agent runs, where, and what it holds.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Drop every token and approval from the agent's memory and refuse requests until
    /// `unlock`.
    Lock,
    /// Answer requests again (only from the person's own terminal, never a coding agent).
    Unlock,
    /// End the agent.
    Stop,
}

#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The request to answer (`tokdeck approve` without it lists the waiting ones and
    /// asks about each in this terminal).
    pub id: Option<u64>,
    /// once, session, program or deny.
    #[arg(requires = "id", value_parser = ["once", "session", "program", "deny"])]
    pub answer: Option<String>,
    /// List the waiting requests and exit without asking.
    #[arg(long, conflicts_with = "id")]
    pub list: bool,
    /// With --list: one JSON object per line.
    #[arg(long, requires = "list")]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Only this account's entries.
    #[arg(long)]
    pub account: Option<String>,
    /// Only entries since then: a duration ago (`1h`, `7d`) or an RFC 3339 time.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only callers whose executable or kind holds this text (`curl`, `coding agent`).
    #[arg(long)]
    pub caller: Option<String>,
    /// One JSON object per entry, as recorded.
    #[arg(long)]
    pub json: bool,
}
