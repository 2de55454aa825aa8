//! One account table resolved: its provider, flow, parameters, and the places
//! (`directories`, `urls`) and variables (`env`) tools use it by.

use super::{AccountSection, Resolved, Source, directory, line_of_offset, line_of_table};
use crate::config::{Account, ConfigError, Flow, Grant, Kind, Provider, check_name};
use toml::Spanned;

impl Source<'_> {
    pub(super) fn account(
        &self,
        name: &str,
        section: AccountSection,
        providers: &Resolved<std::sync::Arc<Provider>>,
    ) -> Result<Account, ConfigError> {
        let line = || line_of_table(self.text, "accounts", name);
        check_name(name).map_err(|m| self.invalid(line(), format!("account name '{name}' {m}")))?;
        let Some(provider_key) = &section.provider else {
            return Err(self.invalid(
                line(),
                format!("account '{name}' needs `provider = \"NAME\"` (or `exchange_from = \"ACCOUNT\"`)"),
            ));
        };
        for (key, set) in [
            ("audience", section.audience.is_some()),
            ("resource", section.resource.is_some()),
        ] {
            if set {
                return Err(self.invalid(line(), format!("account '{name}': `{key}` goes with `exchange_from`; for a token per API use `resources` and `tokdeck token --resource`")));
            }
        }
        let provider = self.provider_of(name, provider_key, providers)?;
        let flow = section.flow.or(provider.flow).unwrap_or(Flow::Browser);
        if flow == Flow::ClientCredentials && !provider.authenticates() {
            return Err(self.invalid(
                line(),
                format!(
                    "account '{name}' uses the client_credentials flow, which needs `client_secret` in [providers.{}]",
                    provider.name
                ),
            ));
        }
        let (directories, urls) = self.places(name, &section)?;
        if let Some(twice) = section
            .resources
            .iter()
            .enumerate()
            .find_map(|(i, r)| section.resources[..i].contains(r).then_some(r))
        {
            return Err(self.invalid(
                line(),
                format!("account '{name}': resource '{twice}' is listed twice in `resources`"),
            ));
        }
        let mut params = provider.params.clone();
        params.extend(section.params);
        let invalid = |m: String| self.invalid(line(), format!("account '{name}': {m}"));
        let grant = Grant {
            params,
            dpop: section.dpop.unwrap_or(provider.dpop),
            resources: section
                .resources
                .into_iter()
                .map(|r| {
                    crate::config::check_resource(&r)
                        .map_err(|m| invalid(format!("resource '{r}' {m}")))
                        .map(|()| r)
                })
                .collect::<Result<_, _>>()?,
        };
        let kind = match flow {
            Flow::ClientCredentials => Kind::Service { grant },
            Flow::Device | Flow::Browser => Kind::Login {
                flow,
                login_hint: section.login_hint.filter(|h| !h.is_empty()),
                grant,
            },
        };
        let agent = self.agent_policy(name, section.agent)?;
        Ok(Account {
            agent,
            name: name.to_string(),
            provider: provider.clone(),
            scopes: section.scopes.unwrap_or_else(|| provider.scopes.clone()),
            kind,
            directories,
            env: section.env,
            urls,
            git_username: section.git_username.filter(|u| !u.is_empty()),
        })
    }

    /// The account's `[accounts.NAME.agent]` table as a policy; errors name the table.
    pub(super) fn agent_policy(
        &self,
        name: &str,
        section: crate::config::agent::AgentSection,
    ) -> Result<crate::config::AgentPolicy, ConfigError> {
        section.policy().map_err(|m| {
            self.invalid(
                line_of_table(self.text, "accounts", name),
                format!("account '{name}': {m}"),
            )
        })
    }

    /// An account's `directories` and `urls` as tokdeck compares them, its `env` names
    /// checked; errors name the account's table.
    pub(super) fn places(
        &self,
        name: &str,
        section: &AccountSection,
    ) -> Result<(Vec<crate::config::Directory>, Vec<String>), ConfigError> {
        // Looked up only for an error: a scan of the file per account is quadratic.
        let invalid = |m: String| {
            self.invalid(
                line_of_table(self.text, "accounts", name),
                format!("account '{name}': {m}"),
            )
        };
        let directories = section
            .directories
            .iter()
            .map(|d| directory(d).map_err(&invalid))
            .collect::<Result<_, _>>()?;
        for var in &section.env {
            crate::config::check_env_name(var).map_err(|m| invalid(format!("env '{var}' {m}")))?;
        }
        let urls = section
            .urls
            .iter()
            .map(|u| crate::config::tool_url(u).map_err(|m| invalid(format!("url '{u}' {m}"))))
            .collect::<Result<_, _>>()?;
        Ok((directories, urls))
    }

    /// The provider an account names, or why it cannot be had (broken, not defined).
    fn provider_of<'p>(
        &self,
        name: &str,
        provider_key: &Spanned<String>,
        providers: &'p Resolved<std::sync::Arc<Provider>>,
    ) -> Result<&'p std::sync::Arc<Provider>, ConfigError> {
        let provider_name = provider_key.get_ref();
        if let Some(ConfigError::Invalid { line, message, .. }) =
            providers.broken.get(provider_name)
        {
            return Err(self.invalid(
                line_of_offset(self.text, provider_key.span().start),
                format!(
                    "account '{name}' uses provider '{provider_name}', which is broken (line {line}: {message})"
                ),
            ));
        }
        providers.good.get(provider_name).ok_or_else(|| {
            let known = providers
                .good
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            self.invalid(
                line_of_offset(self.text, provider_key.span().start),
                format!(
                    "account '{name}' names provider '{provider_name}', which is not defined; add a [providers.{provider_name}] table{}",
                    if known.is_empty() {
                        String::new()
                    } else {
                        format!(" or use one of: {known}")
                    }
                ),
            )
        })
    }
}
