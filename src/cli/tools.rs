//! `tokdeck setup TOOL ...`: make git, Docker or kubectl use tokdeck's tokens; each
//! tool's part is in its own file (git.rs, docker.rs, kubectl.rs).

use super::args::SetupCommand;
use super::error::CliError;

/// `tokdeck setup TOOL ...`.
pub async fn setup(
    config: Option<std::path::PathBuf>,
    command: SetupCommand,
) -> Result<(), CliError> {
    match command {
        SetupCommand::Git {
            words,
            local,
            remove,
        } => super::git::setup(&super::engine(config)?, &words, local, remove).await,
        SetupCommand::Docker {
            account,
            registry,
            remove,
        } => super::docker::setup(&super::engine(config)?, &account, &registry, remove),
        SetupCommand::Kubectl {
            account,
            kubeconfig,
            user,
            remove,
        } => {
            let engine = super::engine(config)?;
            let (path, user) = (kubeconfig.as_deref(), user.as_deref());
            super::kubectl::setup(&engine, &account, path, user, remove)
        }
    }
}
