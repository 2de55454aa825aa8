//! `tokdeck setup TOOL ...`: make git, Docker or kubectl use tokdeck's tokens; each
//! tool's part is in its own file (git.rs, docker.rs, kubectl.rs).

use super::args::SetupCommand;
use super::error::CliError;

/// `tokdeck setup TOOL ...`.
pub async fn setup(
    config: Option<std::path::PathBuf>,
    command: SetupCommand,
) -> Result<(), CliError> {
    // The tools start this tokdeck again, with this run's config and home.
    let relaunch = super::relaunch::Relaunch::here(config.as_deref())?;
    match command {
        SetupCommand::Git {
            words,
            local,
            remove,
        } => {
            let engine = super::engine(config)?;
            super::git::setup(&engine, &relaunch, &words, local, remove).await
        }
        SetupCommand::Docker {
            account,
            registry,
            remove,
        } => {
            let engine = super::engine(config)?;
            super::docker::setup(&engine, &relaunch, &account, &registry, remove)
        }
        SetupCommand::Kubectl {
            account,
            kubeconfig,
            user,
            remove,
        } => {
            let engine = super::engine(config)?;
            let (path, user) = (kubeconfig.as_deref(), user.as_deref());
            super::kubectl::setup(&engine, &relaunch, &account, path, user, remove)
        }
    }
}
