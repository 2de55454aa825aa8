//! Other tools' formats: what tokdeck speaks to git, Docker and kubectl, apart from the
//! command line that runs it (`cli/`).

pub mod docker;
pub mod git;
pub mod kubeconfig;
