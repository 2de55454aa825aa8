//! Engine work the dashboard's commands start: each runs in a background task through
//! [`spawn`] and reports its outcome on the one event channel.

use super::app::Runtime;
use super::event::{Command, Msg, Outcome, SignWith, VerifyAgainst};
use super::model::{Checked, Draft, Trust};
use crate::engine::{
    Engine, EngineError, Judgement, KeySource, LogoutOptions, Want, judge, provider_client,
};
use crate::secret::Secret;
use crate::token::TokenSet;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;

/// Where a task's outcomes go.
#[derive(Clone)]
pub(super) struct Done(UnboundedSender<Msg>);

impl Done {
    pub(super) fn send(&self, outcome: Outcome) {
        let _ = self.0.send(Msg::Done(outcome));
    }
}

/// Runs `work` on the engine in the background (nothing when there is no config yet).
fn spawn<F, Fut>(runtime: &Runtime, work: F)
where
    F: FnOnce(Arc<Engine>, Done) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(engine) = runtime.engine() else {
        return;
    };
    tokio::spawn(work(engine, Done(runtime.sender())));
}

/// The commands that are engine work.
pub(super) fn run(runtime: &Runtime, command: Command) {
    match command {
        Command::LoadAll => spawn(runtime, |engine, done| async move {
            let names: Vec<String> = engine.config().accounts.keys().cloned().collect();
            // A batch at a time, so that rows fill in as their batch is read.
            for batch in names.chunks(crate::engine::LOAD_BATCH) {
                for (account, loaded) in engine.load_many(batch.to_vec()).await {
                    let result = loaded.map(|r| r.map(Box::new)).map_err(super::app::failure);
                    let logged_out = engine.was_logged_out(&account);
                    done.send(Outcome::Loaded {
                        account,
                        result,
                        logged_out,
                    });
                }
            }
        }),
        Command::CopyStored {
            account,
            what,
            clear_after,
        } => spawn(runtime, |engine, done| async move {
            let result = engine
                .load_bound(&account)
                .await
                .map(|r| r.map(Box::new))
                .map_err(super::app::failure);
            done.send(Outcome::ReadForCopy {
                account,
                what,
                clear_after,
                result,
            });
        }),
        Command::Refresh { account, seen } => spawn(runtime, |engine, done| async move {
            let want = seen.map_or(Want::refresh_now(), Want::Replace);
            let result = engine
                .refresh_with(&account, want)
                .await
                .map_err(super::app::failure);
            done.send(Outcome::Refreshed { account, result });
        }),
        Command::RefreshApi {
            account,
            resource,
            min_valid,
        } => spawn(runtime, |engine, done| async move {
            let target = crate::token::Target::resource(&resource);
            let result = engine
                .refresh_with(&account, Want::Narrowed(target, min_valid))
                .await
                .map_err(super::app::failure);
            done.send(Outcome::ApiRefreshed {
                account,
                resource,
                result,
            });
        }),
        Command::Logout(account) => spawn(runtime, |engine, done| async move {
            let result = engine
                .logout(&account, LogoutOptions::default())
                .await
                .map(|r| r.notes)
                .map_err(|e| e.to_string());
            done.send(Outcome::LoggedOut { account, result });
        }),
        Command::Verify { account, tokens } => spawn(runtime, |engine, done| async move {
            let trust = verify(&engine, &account, &tokens).await;
            done.send(Outcome::Verified {
                account,
                access_token: tokens.access_token.clone(),
                trust,
            });
        }),
        Command::VerifyPasted { token, against } => {
            let paths = runtime.paths().clone();
            let engine = runtime.engine();
            let done = Done(runtime.sender());
            tokio::spawn(async move {
                let checked = verify_pasted(engine, &paths, &token, against).await;
                done.send(Outcome::InspectorChecked { token, checked });
            });
        }
        Command::SignDraft { draft, with } => {
            let paths = runtime.paths().clone();
            let done = Done(runtime.sender());
            tokio::spawn(async move {
                let signed = match sign_draft(draft, with) {
                    Ok((token, keys)) => {
                        let client = provider_client(&paths);
                        let judged = judge(&client, token.expose(), keys).await;
                        Ok((token, checked(judged)))
                    }
                    Err(e) => Err(e),
                };
                done.send(Outcome::InspectorSigned(signed));
            });
        }
        other => provider_work(runtime, other),
    }
}

/// Questions to the provider and logouts before a config write.
fn provider_work(runtime: &Runtime, command: Command) {
    match command {
        Command::Introspect(account) => spawn(runtime, |engine, done| async move {
            let result = engine
                .introspect(&account, false)
                .await
                .map_err(|e| e.to_string());
            done.send(Outcome::ProviderJson {
                title: format!("Introspection of the access token of '{account}'"),
                result,
            });
        }),
        Command::Userinfo(account) => spawn(runtime, |engine, done| async move {
            let result = engine.userinfo(&account).await.map_err(|e| e.to_string());
            done.send(Outcome::ProviderJson {
                title: format!("Userinfo of '{account}'"),
                result,
            });
        }),
        Command::LogoutThenWrite {
            account,
            revoke,
            write,
        } => spawn(runtime, |engine, done| async move {
            let result = if revoke {
                engine
                    .logout(&account, LogoutOptions::default())
                    .await
                    .map(|r| r.notes)
            } else {
                engine.forget(&account).await.map(|()| {
                    vec!["its tokens were deleted here without revoking them".to_string()]
                })
            };
            done.send(Outcome::LoggedOutForWrite {
                account,
                result: result.map_err(|e| e.to_string()),
                write,
            });
        }),
        _ => {}
    }
}

/// The signature verdicts of exactly these tokens (those the row holds).
async fn verify(engine: &Engine, account: &str, tokens: &TokenSet) -> Trust {
    let check = |token: &Secret| {
        let token = token.expose().to_string();
        let source = KeySource::Account(account.to_string());
        async move { checked(engine.judge(&token, source, false).await) }
    };
    let access = Some(check(&tokens.access_token).await);
    let id = match &tokens.id_token {
        Some(t) => Some(check(t).await),
        None => None,
    };
    Trust { access, id }
}

fn checked(result: Result<Judgement, EngineError>) -> Checked {
    match result {
        Ok(judgement) => Checked {
            verdict: Ok(judgement.verdict),
            risks: judgement.risks,
        },
        Err(e) => Checked {
            verdict: Err(e.to_string()),
            risks: Vec::new(),
        },
    }
}

/// A pasted token checked against an account's provider or a typed issuer.
async fn verify_pasted(
    engine: Option<Arc<Engine>>,
    paths: &crate::config::Paths,
    token: &Secret,
    against: VerifyAgainst,
) -> Checked {
    let source = match against {
        VerifyAgainst::Account(account) => KeySource::Account(account),
        VerifyAgainst::Issuer(issuer) => KeySource::Issuer(issuer),
        VerifyAgainst::Secret(secret) => KeySource::Secret(secret),
        VerifyAgainst::KeyFile(path) => KeySource::KeyFile(path),
    };
    checked(match engine {
        Some(engine) => engine.judge(token.expose(), source, true).await,
        None => judge(&provider_client(paths), token.expose(), source).await,
    })
}

/// The inspector's draft signed with a private key file (its thumbprint as `kid`) or the
/// typed secret, through the one signing path (`jwt::sign`); with the keys that verify
/// it.
fn sign_draft(draft: Draft, with: SignWith) -> Result<(Secret, KeySource), String> {
    use crate::jwt::sign::{Hmac, Signer, sign};
    let mut header = draft.header;
    let claims = serde_json::Value::Object(draft.claims);
    match with {
        SignWith::KeyFile(path) => {
            let key = crate::jwt::private_key::read_key(&path)
                .map_err(|m| format!("'{}' {m}", path.display()))?;
            let kid = key.thumbprint();
            header.insert("kid".into(), kid.clone().into());
            let token = sign(header, &claims, &Signer::Key(&key))?;
            let jwks = serde_json::json!({ "keys": [key.public_jwk(&kid)] }).to_string();
            let keys = crate::jwt::keyfile::parse(&jwks)?;
            Ok((Secret::new(token), KeySource::Keys(keys)))
        }
        SignWith::Secret(secret, alg) => {
            let hmac = Hmac::parse(&alg)?;
            // A key's `kid` does not name a secret: a token with both is the shape of a
            // key-confusion attack.
            if !header
                .get("alg")
                .and_then(|a| a.as_str())
                .is_some_and(|a| a.starts_with("HS"))
            {
                header.remove("kid");
            }
            let token = sign(
                header,
                &claims,
                &Signer::Secret(secret.expose().as_bytes(), hmac),
            )?;
            Ok((Secret::new(token), KeySource::Secret(secret)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From a trial: a token re-signed with a secret loses the `kid` of the key that
    /// signed it before (an HS token naming a public key's `kid` is the shape of a
    /// key-confusion attack); an HS token keeps its own.
    #[test]
    fn signing_with_a_secret_drops_a_keys_kid() {
        let header = |alg: &str| {
            serde_json::json!({"alg": alg, "kid": "k1"})
                .as_object()
                .cloned()
                .expect("object")
        };
        for (alg, kept) in [("ES256", false), ("HS384", true)] {
            let draft = Draft {
                header: header(alg),
                claims: serde_json::Map::new(),
            };
            let hs = if kept { "HS384" } else { "HS256" };
            let (token, _) = sign_draft(
                draft,
                SignWith::Secret(Secret::new("s".repeat(64)), hs.into()),
            )
            .expect("signed");
            let Ok(crate::jwt::Decoded::Jwt { header, .. }) = crate::jwt::decode(token.expose())
            else {
                panic!("a JWT")
            };
            assert_eq!(header["alg"], hs);
            assert_eq!(header.get("kid").is_some(), kept, "{alg}: {header}");
        }
    }
}
