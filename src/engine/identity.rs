//! Who an account is logged in as: derived after each login (and from each refreshed ID
//! token), stored with the tokens, and pinned by the first login so that an account never
//! silently becomes somebody else.

use super::{Engine, EngineError};
use crate::config::{Account, Kind};
use crate::oauth::discovery::Need;
use crate::token::TokenSet;
use crate::token::{Binding, Identity, TokenRecord};
use serde_json::{Map, Value};

impl Engine {
    /// The identity behind freshly issued `tokens`: the ID token's claims (already
    /// checked, OIDC Core §3.1.3.7), else the userinfo endpoint (§5.3), else the access
    /// token's claims when it is a JWT; for client credentials, the client itself.
    pub(crate) async fn identify(
        &self,
        account: &Account,
        tokens: &TokenSet,
        binding: &Binding,
    ) -> Option<Identity> {
        let found = identity_without_network(account, tokens, binding);
        if found
            .as_ref()
            .is_some_and(|f| f.email.is_some() || f.preferred_username.is_some())
        {
            return found;
        }
        // Nothing, or only a `sub`: userinfo may say more (OIDC Core §5.3.2: only when its
        // `sub` is the ID token's).
        let Some(from_userinfo) = self.userinfo_identity(account, tokens, binding).await else {
            return found;
        };
        match found {
            None => Some(from_userinfo),
            Some(mut found) if found.sub == from_userinfo.sub => {
                found.email = found.email.or(from_userinfo.email);
                found.preferred_username = found
                    .preferred_username
                    .or(from_userinfo.preferred_username);
                found.name = found.name.or(from_userinfo.name);
                Some(found)
            }
            Some(found) => {
                log::warn!(
                    "'{}': userinfo names sub '{}', the tokens '{}'; userinfo ignored",
                    account.name,
                    from_userinfo.sub,
                    found.sub
                );
                Some(found)
            }
        }
    }

    async fn userinfo_identity(
        &self,
        account: &Account,
        tokens: &TokenSet,
        binding: &Binding,
    ) -> Option<Identity> {
        if matches!(account.kind, Kind::Service { .. }) {
            return None;
        }
        // An access token for an API (RFC 8707 `resource`) is not one the provider's
        // userinfo takes: not asked, rather than refused every login.
        if account
            .grant()
            .is_some_and(|g| g.params.contains_key("resource"))
        {
            return None;
        }
        let endpoints = self.endpoints(account, &[Need::Userinfo]).await.ok()?;
        let url = endpoints.userinfo_endpoint.as_deref()?;
        if binding.allows(Need::Userinfo.key(), url).is_err() {
            log::warn!(
                "'{}': userinfo endpoint {url} is not where the tokens are bound; not asked",
                account.name
            );
            return None;
        }
        let http = self.http(&account.name).ok()?;
        let dpop = self.presenting_key(tokens);
        let token = tokens.access_token.expose();
        match crate::oauth::grants::userinfo(&http, url, token, dpop.as_ref()).await {
            Ok(claims) => from_claims(claims.as_object()?, binding.server()),
            Err(e) => {
                log::info!("'{}': no identity from userinfo ({e})", account.name);
                None
            }
        }
    }
}

/// The identity that the tokens themselves tell, without asking the provider.
pub(crate) fn identity_without_network(
    account: &Account,
    tokens: &TokenSet,
    binding: &Binding,
) -> Option<Identity> {
    let claims_of = |token: &crate::secret::Secret| crate::jwt::claims(token.expose());
    if matches!(account.kind, Kind::Service { .. }) {
        let sub = claims_of(&tokens.access_token)
            .and_then(|c| c.get("sub").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| binding.client_id.clone());
        return Some(Identity {
            iss: binding.server().to_string(),
            sub,
            email: None,
            preferred_username: Some(binding.client_id.clone()),
            name: None,
        });
    }
    if tokens.id_token.is_some() {
        return from_id_token(tokens, binding);
    }
    claims_of(&tokens.access_token).and_then(|claims| from_claims(&claims, binding.server()))
}

/// The identity an ID token names.
pub(crate) fn from_id_token(tokens: &TokenSet, binding: &Binding) -> Option<Identity> {
    let claims = crate::jwt::claims(tokens.id_token.as_ref()?.expose())?;
    from_claims(&claims, binding.server())
}

/// An identity from OIDC claims, or from a provider's own user document (GitHub's
/// `GET /user` has `id` and `login` instead of `sub` and `preferred_username`).
pub(crate) fn from_claims(claims: &Map<String, Value>, default_iss: &str) -> Option<Identity> {
    let text = |key: &str| {
        claims.get(key).and_then(|v| match v {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    Some(Identity {
        iss: text("iss").unwrap_or_else(|| default_iss.to_string()),
        sub: text("sub").or_else(|| text("id"))?,
        email: text("email"),
        preferred_username: text("preferred_username").or_else(|| text("login")),
        name: text("name"),
    })
}

/// The verdict of a login on the account's pinned person.
#[derive(Debug)]
pub(crate) enum Pinned {
    /// Nobody pinned yet, or the same person again.
    Keep,
    /// Another person, accepted with `--replace-user`: the old tokens are revoked first.
    Replace(Box<TokenRecord>),
    /// Another person, refused.
    Refuse {
        pinned: Box<Identity>,
        got: Box<Identity>,
    },
}

/// Compares the person of a new login with the one `old` (a record of this server)
/// pinned.
pub(crate) fn pinned(old: Option<TokenRecord>, new: Option<&Identity>, replace: bool) -> Pinned {
    let Some(old) = old else {
        return Pinned::Keep;
    };
    match (&old.identity, new) {
        (Some(pinned), Some(got)) if !pinned.same_person(got) => {
            if replace {
                Pinned::Replace(Box::new(old))
            } else {
                Pinned::Refuse {
                    pinned: Box::new(pinned.clone()),
                    got: Box::new(got.clone()),
                }
            }
        }
        _ => Pinned::Keep,
    }
}

/// The refusal of a login that came back as someone else.
pub(crate) fn mismatch(account: &str, pinned: &Identity, got: &Identity) -> EngineError {
    let (was, now) = (pinned.who(), got.who());
    EngineError::OtherPerson(format!(
        "login returned {now}, but '{account}' is {was}: the browser is probably signed in as {now}. Sign out there, or run `tokdeck login {account} --replace-user` to make '{account}' {now}'s"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id(sub: &str, email: &str) -> Identity {
        Identity {
            iss: "https://idp".into(),
            sub: sub.into(),
            email: Some(email.into()),
            preferred_username: None,
            name: None,
        }
    }

    fn obj(value: &Value) -> &Map<String, Value> {
        value.as_object().expect("object")
    }

    #[test]
    fn claims_give_the_identity_and_github_users_map_too() {
        let oidc = json!({"iss": "https://idp", "sub": "bob", "email": "bob@x", "name": "Bob"});
        let got = from_claims(obj(&oidc), "unused").expect("identity");
        assert_eq!((got.iss.as_str(), got.sub.as_str()), ("https://idp", "bob"));
        assert_eq!(got.who(), "bob@x");
        let github = json!({"id": 583231, "login": "octocat", "name": "The Octocat"});
        let got = from_claims(obj(&github), "https://github.com/login/oauth/access_token")
            .expect("identity");
        assert_eq!(got.sub, "583231");
        assert_eq!(got.preferred_username.as_deref(), Some("octocat"));
        assert!(
            from_claims(obj(&json!({"email": "x@y"})), "i").is_none(),
            "no sub: nobody"
        );
    }

    #[test]
    fn another_person_is_refused_unless_replaced() {
        let mut old = TokenRecord::new(TokenSet::bearer(
            "at",
            chrono::DateTime::from_timestamp(0, 0).expect("ts"),
        ));
        old.identity = Some(id("bob", "bob@example.test"));
        let carol = id("carol", "carol@example.test");
        assert!(matches!(
            pinned(Some(old.clone()), Some(&carol), false),
            Pinned::Refuse { .. }
        ));
        assert!(matches!(
            pinned(Some(old.clone()), Some(&carol), true),
            Pinned::Replace(_)
        ));
        let bob_again = id("bob", "bob@new-mail.test");
        assert!(matches!(
            pinned(Some(old), Some(&bob_again), false),
            Pinned::Keep
        ));
        assert!(matches!(pinned(None, Some(&carol), false), Pinned::Keep));
        let message = mismatch("bob-test", &id("bob", "bob@example.test"), &carol).to_string();
        assert_eq!(
            message,
            "login returned carol@example.test, but 'bob-test' is bob@example.test: the browser is probably signed in as carol@example.test. Sign out there, or run `tokdeck login bob-test --replace-user` to make 'bob-test' carol@example.test's"
        );
    }
}
