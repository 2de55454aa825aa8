//! The endpoints an account's requests go to: resolved from the config and the
//! issuer's metadata, and checked against where the account's tokens were bound.

use super::{Engine, EngineError, binding, oauth_error};
use crate::config::Account;
use crate::oauth::Endpoints;
use crate::oauth::discovery::Need;
use crate::token::TokenRecord;
use chrono::Utc;

impl Engine {
    pub(crate) async fn endpoints(
        &self,
        account: &Account,
        needs: &[Need],
    ) -> Result<Endpoints, EngineError> {
        let http = self.http(&account.name)?;
        self.client
            .discovery()
            .resolve(
                &http,
                &account.provider.name,
                &account.provider.endpoints,
                needs,
                Utc::now(),
            )
            .await
            .map_err(|e| oauth_error(&account.name, e))
    }

    /// `endpoints` of `account` for `needs`, refused unless each is where `record`'s
    /// tokens were bound (see [`binding::check_endpoints`]): nothing is sent otherwise.
    pub(crate) async fn bound_endpoints(
        &self,
        account: &Account,
        record: &TokenRecord,
        needs: &[Need],
    ) -> Result<Endpoints, EngineError> {
        binding::check(account, record)?;
        let endpoints = self.endpoints(account, needs).await?;
        self.check_bound(account, record, &endpoints, needs).await?;
        Ok(endpoints)
    }

    /// [`binding::check_endpoints`], with the issuer's own metadata for records bound
    /// before every endpoint was.
    pub(crate) async fn check_bound(
        &self,
        account: &Account,
        record: &TokenRecord,
        resolved: &Endpoints,
        needs: &[Need],
    ) -> Result<(), EngineError> {
        let legacy = record
            .binding
            .as_ref()
            .is_some_and(|b| b.endpoints.is_none());
        let metadata = if legacy && needs.iter().any(|n| *n != Need::Token) {
            self.metadata(account).await
        } else {
            Endpoints::default()
        };
        binding::check_endpoints(account, record, resolved, needs, &metadata)
    }

    /// The issuer's own metadata (no config override), or nothing without an issuer or
    /// a document.
    pub(crate) async fn metadata(&self, account: &Account) -> Endpoints {
        let Some(issuer) = account.provider.endpoints.issuer.clone() else {
            return Endpoints::default();
        };
        let Ok(http) = self.http(&account.name) else {
            return Endpoints::default();
        };
        let only_issuer = Endpoints {
            issuer: Some(issuer),
            ..Default::default()
        };
        self.client
            .discovery()
            .complete(&http, &only_issuer, Utc::now())
            .await
    }

    /// Every endpoint of `account`'s server as known now (config, then the issuer's
    /// metadata): what newly issued tokens are bound to.
    pub(crate) async fn known_endpoints(
        &self,
        account: &Account,
        resolved: &Endpoints,
    ) -> Endpoints {
        if self.http(&account.name).is_err() {
            return resolved.clone();
        }
        known_from(account, resolved, self.metadata(account).await)
    }
}

/// Every endpoint of `account`'s server: the configured ones completed by the issuer's
/// `metadata`, with the token endpoint the flow `resolved` (and used).
pub(crate) fn known_from(
    account: &Account,
    resolved: &Endpoints,
    metadata: Endpoints,
) -> Endpoints {
    let mut known = account.provider.endpoints.clone().or(metadata);
    known.token_endpoint = resolved.token_endpoint.clone().or(known.token_endpoint);
    known
}
