//! Other tools' formats: what tokdeck speaks to git, Docker, kubectl and ssh, apart from the
//! command line that runs it (`cli/`).

pub mod docker;
pub mod git;
pub mod kubeconfig;
pub mod ssh;
