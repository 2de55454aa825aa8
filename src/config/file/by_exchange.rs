//! Accounts defined by token exchange (`exchange_from`): the account they come from, its
//! provider, and what the exchanged token is for.

use super::{AccountSection, Resolved, Source, line_of_offset, line_of_table};
use crate::config::{Account, ByExchange, ConfigError, Kind, check_name};

impl Source<'_> {
    /// `[accounts.NAME] exchange_from = "ACCOUNT"`, resolved once `ACCOUNT` is.
    pub(super) fn by_exchange(
        &self,
        name: &str,
        section: AccountSection,
        accounts: &Resolved<Account>,
    ) -> Result<Account, ConfigError> {
        let line = || line_of_table(self.text, "accounts", name);
        let invalid = |m: String| self.invalid(line(), format!("account '{name}': {m}"));
        check_name(name).map_err(|m| self.invalid(line(), format!("account name '{name}' {m}")))?;
        let Some(from) = &section.exchange_from else {
            return Err(invalid("has no `exchange_from`".into()));
        };
        let from_line = line_of_offset(self.text, from.span().start);
        let from = from.get_ref();
        let source = match (accounts.good.get(from), accounts.broken.get(from)) {
            (Some(source), _) => source,
            (None, Some(e)) => {
                return Err(self.invalid(
                    from_line,
                    format!("account '{name}' is exchanged from '{from}', which is broken ({e})"),
                ));
            }
            (None, None) => {
                return Err(self.invalid(
                    from_line,
                    format!(
                        "account '{name}': exchange_from '{from}' is not an account defined by a login (an [accounts.{from}] table with a provider)"
                    ),
                ));
            }
        };
        if source.by_exchange().is_some() {
            return Err(self.invalid(
                from_line,
                format!(
                    "account '{name}' is exchanged from '{from}', which is itself exchanged; name the account that logs in"
                ),
            ));
        }
        if let Some(provider) = &section.provider
            && provider.get_ref() != &source.provider.name
        {
            return Err(invalid(format!(
                "is exchanged at the provider of '{from}' ('{}'); remove `provider`",
                source.provider.name
            )));
        }
        let refused = [
            ("flow", section.flow.is_some()),
            ("login_hint", section.login_hint.is_some()),
            ("dpop", section.dpop.is_some()),
            ("resources", !section.resources.is_empty()),
            ("params", !section.params.is_empty()),
        ];
        if let Some((key, _)) = refused.iter().find(|(_, set)| *set) {
            return Err(invalid(format!(
                "`{key}` is about logins, and an account with `exchange_from` has none (its tokens come from '{from}')"
            )));
        }
        if section.audience.is_none() && section.resource.is_none() && section.scopes.is_none() {
            return Err(invalid(
                "says `exchange_from` but not what for: add `audience`, `resource` or `scopes`"
                    .into(),
            ));
        }
        if let Some(resource) = &section.resource {
            crate::config::check_resource(resource)
                .map_err(|m| invalid(format!("resource '{resource}' {m}")))?;
        }
        let (directories, urls) = self.places(name, &section)?;
        let agent = self.agent_policy(name, section.agent)?;
        Ok(Account {
            agent,
            name: name.to_string(),
            provider: source.provider.clone(),
            scopes: section.scopes.clone().unwrap_or_default(),
            directories,
            env: section.env,
            urls,
            git_username: section.git_username,
            kind: Kind::Exchange(ByExchange {
                from: from.to_string(),
                audience: section.audience,
                resource: section.resource,
                scope: section
                    .scopes
                    .map(|s| s.join(" "))
                    .filter(|s| !s.is_empty()),
            }),
        })
    }
}
