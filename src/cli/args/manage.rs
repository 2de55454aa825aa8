//! The arguments of `tokdeck add` and `tokdeck remove`.

use super::FlowArg;
use crate::cli::complete;
use clap_complete::engine::ArgValueCompleter;

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The new account's name.
    pub account: String,
    /// The provider it uses: a [providers.NAME] table in the file, or a new one made
    /// from --preset or --issuer with --client-id (default with --url or --issuer: a new
    /// provider named after the account).
    #[arg(long, add = ArgValueCompleter::new(complete::providers), value_name = "NAME")]
    pub provider: Option<String>,
    /// The API the account is for: its protected resource metadata (RFC 9728) names the
    /// server to log in at, tokdeck registers itself there (RFC 7591) unless --client-id
    /// is given, and the account's tokens are for that API (RFC 8707).
    #[arg(long, value_name = "URL", conflicts_with = "preset")]
    pub url: Option<String>,
    /// A preset for a new provider (`tokdeck providers` lists them).
    #[arg(long, add = ArgValueCompleter::new(complete::presets), value_name = "KEY")]
    pub preset: Option<String>,
    /// The issuer of a new provider (OIDC discovery), for the generic preset; without
    /// --client-id, tokdeck registers itself there (RFC 7591). With --url: which of the
    /// API's authorization servers to use.
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// The OAuth client registered for tokdeck at a new provider (default with --url or
    /// --issuer: one tokdeck registers itself).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Read a new provider's client secret from stdin (a prompt on a terminal).
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// The account's flow (default: the provider's, else browser).
    #[arg(long, value_enum)]
    pub flow: Option<FlowArg>,
    /// A scope to ask for (repeat for more, or give several separated by spaces; default:
    /// the provider's).
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// The directory (tenant) of a new microsoft provider: its ID, a domain,
    /// `organizations` or `common`.
    #[arg(long)]
    pub tenant: Option<String>,
    /// The domain of a new auth0 or okta provider (your-tenant.eu.auth0.com).
    #[arg(long)]
    pub domain: Option<String>,
    /// The realm of a new keycloak provider.
    #[arg(long)]
    pub realm: Option<String>,
    /// The server of a new keycloak or self-hosted gitlab provider.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The authorization server of a new okta provider (default: `default`).
    #[arg(long, value_name = "ID")]
    pub authorization_server: Option<String>,
    /// Print the change without writing it.
    #[arg(long)]
    pub dry_run: bool,
}

impl AddArgs {
    /// The preset values given (`--tenant`, `--realm`, ...), by their config keys.
    pub fn preset_values(&self) -> std::collections::BTreeMap<String, String> {
        [
            ("tenant", &self.tenant),
            ("domain", &self.domain),
            ("realm", &self.realm),
            ("base_url", &self.base_url),
            ("authorization_server", &self.authorization_server),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)))
        .collect()
    }
}

#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// The account's name.
    #[arg(add = ArgValueCompleter::new(complete::accounts))]
    pub account: String,
    /// Leave the tokens in the store (nothing is revoked).
    #[arg(long)]
    pub keep_tokens: bool,
    /// Print the change without writing it (nothing is revoked).
    #[arg(long)]
    pub dry_run: bool,
}
