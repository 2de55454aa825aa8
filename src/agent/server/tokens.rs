//! Tokens for callers: the account chosen, the policy applied, the person asked where
//! needed, the tokens held or fetched (one fetch per account at a time), the audit
//! written; `list` and DPoP proofs.

use super::state::{Agent, Held, State};
use crate::agent::audit::{self, Decision, Entry};
use crate::agent::caller::Caller;
use crate::agent::policy::{self, Asking};
use crate::agent::protocol::{self as p, Code, Failure, TokenAsk};
use crate::engine::EngineError;
use crate::token::{Target, TokenSet};
use chrono::Utc;
use std::path::PathBuf;
use std::time::{Duration, Instant};

impl Agent {
    pub(super) async fn list(&self, caller: &Caller) -> Result<p::List, Failure> {
        self.refuse_locked()?;
        let engine = self.engine()?;
        // Over a forward: the forwardable accounts only.
        let names: Vec<String> = engine
            .config()
            .accounts
            .values()
            .filter(|a| caller.forwarded.is_none() || a.agent.forwardable)
            .map(|a| a.name.clone())
            .collect();
        let now = Utc::now();
        let accounts = engine
            .load_many(names)
            .await
            .into_iter()
            .map(|(name, record)| {
                let account = engine.account(&name).ok();
                let (state, expires_at, person) = match (&record, account) {
                    (Ok(Some(r)), Some(a)) => (
                        crate::engine::TokenState::judge(
                            Some(&r.tokens),
                            r.login_needed.is_some(),
                            a.renewal(),
                            now,
                        )
                        .key()
                        .to_string(),
                        r.tokens.promised_expiry(),
                        // Who the person is goes to the person's own processes only.
                        r.identity
                            .as_ref()
                            .filter(|_| caller.class().is_the_person())
                            .map(|i| i.who().into_owned()),
                    ),
                    (Ok(None), _) => ("no_token".to_string(), None, None),
                    _ => ("error".to_string(), None, None),
                };
                p::Listed {
                    provider: account.map(|a| a.provider.name.clone()),
                    issuer: account.and_then(|a| a.provider.endpoints.issuer.clone()),
                    name,
                    person,
                    state,
                    expires_at,
                }
            })
            .collect();
        Ok(p::List { accounts })
    }

    pub(super) async fn token(
        &self,
        caller: &Caller,
        ask: TokenAsk,
        gone: tokio::sync::watch::Receiver<bool>,
    ) -> Result<p::Token, Failure> {
        let mut entry = self.entry(
            caller,
            "token",
            ask.account.as_deref(),
            Decision::Refused,
            "agent",
        );
        entry.resource = ask.resource.clone();
        entry.scope = ask.scope.clone();
        let result = self.token_for(caller, &ask, &mut entry, gone).await;
        match &result {
            Ok(token) => {
                entry.decision = Decision::Granted;
                entry.account = Some(token.account.clone());
                if let Ok(mut used) = self.used.lock()
                    && let Some(used) = used.as_mut()
                {
                    used.insert(token.account.clone(), entry.at);
                }
                entry.token_sha256 = Some(audit::token_hash(&token.token));
            }
            Err(failure) => {
                entry.decision = match failure.code {
                    Code::Denied => Decision::Denied,
                    Code::TimedOut => Decision::TimedOut,
                    _ => Decision::Refused,
                };
                entry.reason = Some(failure.message.clone());
            }
        }
        self.audit(entry);
        result
    }

    pub(super) async fn token_for(
        &self,
        caller: &Caller,
        ask: &TokenAsk,
        entry: &mut Entry,
        gone: tokio::sync::watch::Receiver<bool>,
    ) -> Result<p::Token, Failure> {
        self.refuse_locked()?;
        let engine = self.engine()?;
        // The kernel's working directory where it could be read; else what the caller says.
        // Over a forward the directory is the remote one: it chooses nothing here.
        let cwd: Vec<PathBuf> = match &caller.forwarded {
            Some(_) => Vec::new(),
            None => caller
                .cwd
                .clone()
                .or_else(|| ask.cwd.clone())
                .into_iter()
                .collect(),
        };
        let config = engine.config();
        let unclaimed = |url: &str| {
            Failure::new(
                Code::Unclaimed,
                format!("no account claims {url} in its `urls`"),
            )
        };
        let name = match &ask.tool {
            Some(p::ForTool::Git { url, has_path }) => {
                crate::tools::git::account_for(config, url, *has_path)
                    .map_err(|m| Failure::new(Code::Account, m))?
                    .ok_or_else(|| unclaimed(url))?
                    .to_string()
            }
            Some(p::ForTool::Docker { server }) => {
                crate::tools::docker::account_for(config, server)
                    .ok_or_else(|| unclaimed(server))?
                    .to_string()
            }
            // Over a forward: only forwardable accounts exist, and nothing of the config
            // is told (its path, the other accounts).
            None if caller.forwarded.is_some() => {
                let offered: Vec<&str> = config
                    .accounts
                    .values()
                    .filter(|a| a.agent.forwardable)
                    .map(|a| a.name.as_str())
                    .collect();
                let host = caller.forwarded.as_deref().unwrap_or_default();
                match ask.account.as_deref().or(ask.account_env.as_deref()) {
                    Some(name) if offered.contains(&name) => name.to_string(),
                    named => {
                        return Err(Failure::new(
                            Code::Account,
                            format!(
                                "{} offered to {host} ({}); to offer an account, set `forwardable = true` in its [accounts.NAME.agent] on the machine where the agent runs",
                                named.map_or("name the account:".to_string(), |n| format!(
                                    "account '{}' is not",
                                    crate::printable::printable(n)
                                )),
                                if offered.is_empty() {
                                    "none is".to_string()
                                } else {
                                    format!("offered: {}", offered.join(", "))
                                }
                            ),
                        ));
                    }
                }
            }
            None => {
                crate::config::choose(
                    config,
                    ask.account.as_deref(),
                    ask.account_env.as_deref(),
                    &cwd,
                )
                .map_err(|e| Failure::new(Code::Account, e.to_string()))?
                .name
            }
        };
        entry.account = Some(name.clone());
        let account = engine
            .account(&name)
            .map_err(|e| Failure::new(Code::Account, e.to_string()))?;
        if let Some(host) = &caller.forwarded
            && !account.agent.forwardable
        {
            return Err(Failure::new(
                Code::Policy,
                format!(
                    "account '{name}' is not forwardable to {host}: on the machine where the agent runs, set `forwardable = true` in [accounts.{name}.agent] to allow it"
                ),
            ));
        }
        if let Some(resource) = &ask.resource {
            crate::config::check_resource(resource).map_err(|m| {
                Failure::new(Code::BadRequest, format!("resource '{resource}' {m}"))
            })?;
        }
        let target = Target::new(ask.resource.as_deref(), ask.scope.as_deref());
        if let Some(why) = policy::refuses(&name, &account.agent, target.as_ref(), ask.id_token) {
            return Err(Failure::new(Code::Policy, why));
        }
        let class = caller.class();
        entry.decided_by = match policy::asking(&account.agent, &class) {
            Asking::Never => "policy".into(),
            Asking::Unless
                if self
                    .state
                    .lock()
                    .is_ok_and(|s| s.approvals.covers(&name, caller, Utc::now())) =>
            {
                "approval".into()
            }
            Asking::Unless | Asking::Every => match self.ask_person(caller, &name, ask, gone).await
            {
                Ok(who) => who,
                Err((failure, who)) => {
                    entry.decided_by = who;
                    return Err(failure);
                }
            },
        };
        let min_valid = Duration::from_secs(ask.min_valid.unwrap_or(0));
        let (tokens, person, warnings) = if ask.id_token {
            let tokens = engine
                .fresh_id_token(&name, min_valid)
                .await
                .map_err(failure_of)?;
            (tokens, None, Vec::new())
        } else {
            self.fetch(&name, target.as_ref(), min_valid, false).await?
        };
        // The ceiling on scopes judges the access token as granted (when the server did
        // not say, as asked for), but OpenID Connect's own scopes, which are about the
        // login (userinfo, a refresh token), not an API.
        if !ask.id_token && target.as_ref().is_none_or(|t| t.scopes.is_empty()) {
            const OIDC: &[&str] = &[
                "openid",
                "profile",
                "email",
                "address",
                "phone",
                "offline_access",
            ];
            let granted: Vec<String> = if tokens.scopes.is_empty() {
                &account.scopes
            } else {
                &tokens.scopes
            }
            .iter()
            .filter(|s| !OIDC.contains(&s.as_str()))
            .cloned()
            .collect();
            if let Some(why) = policy::over_ceiling(&name, &account.agent, &granted) {
                return Err(Failure::new(Code::Policy, why));
            }
        }
        let (token, issued_at, expires_at) = match (&tokens.id_token, ask.id_token) {
            (Some(id), true) => {
                let lifetime = tokens.id_token_lifetime();
                (
                    id.expose().to_string(),
                    lifetime.map_or(tokens.issued_at, |l| l.issued_at),
                    lifetime.and_then(|l| l.expires_at),
                )
            }
            (None, true) => {
                return Err(Failure::new(
                    Code::NeedsLogin,
                    format!(
                        "account '{name}' holds no ID token (ask for the `openid` scope); a person must run `tokdeck login {name}`"
                    ),
                ));
            }
            (_, false) => (
                tokens.access_token.expose().to_string(),
                tokens.issued_at,
                tokens.expires_at,
            ),
        };
        Ok(p::Token {
            provider: account.provider.name.clone(),
            token,
            token_type: tokens.token_type.clone(),
            issued_at,
            expires_at,
            scopes: tokens.scopes.clone(),
            dpop: tokens.is_dpop() && !ask.id_token,
            env: account.env.clone(),
            person,
            warnings,
            username: ask
                .tool
                .as_ref()
                .map(|_| crate::tools::git::username(account)),
            account: name,
        })
    }

    /// The account's tokens for `target`, valid for `min_valid`: held ones when they
    /// are, else from the engine (which refreshes under the cross-process lock), one
    /// fetch per account at a time.
    pub(super) async fn fetch(
        &self,
        name: &str,
        target: Option<&Target>,
        min_valid: Duration,
        renewing: bool,
    ) -> Result<(TokenSet, Option<String>, Vec<String>), Failure> {
        let key = (name.to_string(), target.cloned());
        let held = |state: &mut State| {
            let now = Utc::now();
            state.held.get_mut(&key).and_then(|h| {
                let fine = if renewing {
                    h.tokens.fresh_enough(now, Duration::ZERO)
                } else {
                    h.tokens.fresh_enough(now, min_valid)
                };
                fine.then(|| {
                    h.used = if renewing { h.used } else { Instant::now() };
                    (h.tokens.clone(), h.person.clone(), Vec::new())
                })
            })
        };
        if let Some(found) = self.state.lock().ok().as_deref_mut().and_then(held) {
            return Ok(found);
        }
        let flight = {
            let mut flights = self.flights.lock().await;
            flights.entry(name.to_string()).or_default().clone()
        };
        let _turn = flight.lock().await;
        if let Some(found) = self.state.lock().ok().as_deref_mut().and_then(held) {
            return Ok(found);
        }
        let engine = self.engine()?;
        let fresh = engine
            .fresh_for(name, target, min_valid)
            .await
            .map_err(failure_of)?;
        let person = match engine.load(name).await {
            Ok(Some(record)) => record.identity.map(|i| i.who().into_owned()),
            _ => None,
        };
        let mut warnings: Vec<String> = fresh.warning.into_iter().collect();
        warnings.extend(engine.take_store_warnings());
        if let Ok(mut state) = self.state.lock()
            && !state.locked
        {
            let used = state
                .held
                .get(&key)
                .filter(|_| renewing)
                .map_or_else(Instant::now, |h| h.used);
            state.held.insert(
                key,
                Held {
                    tokens: fresh.tokens.clone(),
                    person: person.clone(),
                    used,
                },
            );
        }
        Ok((fresh.tokens, person, warnings))
    }

    pub(super) fn proof(
        &self,
        caller: &Caller,
        account: &str,
        method: &str,
        url: &str,
        ath: &str,
    ) -> Result<p::Proof, Failure> {
        self.refuse_locked()?;
        let tokens = self
            .state
            .lock()
            .ok()
            .and_then(|s| {
                s.held
                    .iter()
                    .find(|((name, _), h)| {
                        name == account
                            && crate::oauth::dpop::ath(h.tokens.access_token.expose()) == ath
                    })
                    .map(|(_, h)| h.tokens.clone())
            })
            .ok_or_else(|| {
                Failure::new(
                    Code::Policy,
                    format!("the agent signs proofs only for a token of '{account}' it handed out and still holds; ask for the token again (`tokdeck header {account} --url URL`)"),
                )
            })?;
        let key = tokens.dpop_key.as_ref().ok_or_else(|| {
            Failure::new(
                Code::Policy,
                format!("the token of '{account}' is not DPoP-bound"),
            )
        })?;
        let dpop = crate::oauth::dpop::Dpop::from_stored(key)
            .map_err(|m| Failure::new(Code::Failed, format!("'{account}': {m}")))?;
        let proof = dpop
            .proof(
                &method.to_ascii_uppercase(),
                url,
                Some(tokens.access_token.expose()),
            )
            .map_err(|m| Failure::new(Code::BadRequest, m))?;
        self.audit(Entry {
            reason: Some(format!("{} {}", method.to_ascii_uppercase(), url)),
            ..self.entry(
                caller,
                "dpop_proof",
                Some(account),
                Decision::Granted,
                "policy",
            )
        });
        Ok(p::Proof { proof })
    }
}

/// An engine error as the agent's refusal: only a login helps, or something failed.
fn failure_of(e: EngineError) -> Failure {
    match e {
        EngineError::NeedsLogin { .. } | EngineError::Rebound { .. } => Failure::new(
            Code::NeedsLogin,
            format!("{e} (in a terminal: the agent never starts a login)"),
        ),
        EngineError::Config(_) => Failure::new(Code::Account, e.to_string()),
        other => Failure::new(Code::Failed, other.to_string()),
    }
}
