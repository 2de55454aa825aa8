//! The add form's work for an account from an API's URL, in the background: the API's
//! server found (RFC 9728), tokdeck's client registered when the change is written
//! (RFC 7591), and deleted again when the change cannot be written (RFC 7592).

use super::app::Runtime;
use super::editor::{ApiAsk, Registering};
use super::event::{ConfigWrite, Msg, Outcome};
use crate::config::edit::{self, ConfigText, ProviderDraft};
use crate::config::{Config, StoreKind};
use crate::engine::from_url::{self, PickServer};
use crate::engine::{EngineError, provider_client, registration};
use crate::store::registration::Registration;

/// Looks up the API's server for the open form.
pub(super) fn find(runtime: &Runtime, ask: ApiAsk) {
    let (paths, tx) = (runtime.paths().clone(), runtime.sender());
    tokio::spawn(async move {
        let client = provider_client(&paths);
        let found = from_url::api_server(
            &client,
            &ask.url,
            ask.issuer.as_deref(),
            &ask.scopes,
            &AskForIssuer,
        )
        .await
        .map(Box::new)
        .map_err(|e| e.to_string());
        let _ = tx.send(Msg::Done(Outcome::ApiFound {
            url: ask.url,
            result: found,
        }));
    });
}

/// Registers tokdeck's client, then hands the change with its client ID back to be
/// written.
pub(super) fn register_then_write(
    runtime: &Runtime,
    registering: Registering,
    mut write: ConfigWrite,
) {
    let (paths, tx, store) = (runtime.paths().clone(), runtime.sender(), store(runtime));
    tokio::spawn(async move {
        let client = provider_client(&paths);
        let place = registration::place(&paths, store);
        let Registering {
            provider,
            endpoints,
            scopes,
            mut draft,
        } = registering;
        let result = match registration::register(
            &client,
            &place,
            &provider,
            &endpoints,
            &scopes,
            registration::ByHand::AddForm,
        )
        .await
        {
            Ok(registered) => {
                if let ProviderDraft::New(new) = &mut draft.provider {
                    new.client_id = registered.client_id.clone();
                }
                let before = write.before.as_deref().unwrap_or_default();
                match edit::add_account(&write.path, before, &draft) {
                    Ok(after) => {
                        write.after = ConfigText::from(after);
                        write.done = format!(
                            "{}; registered tokdeck at {} as client_id {}",
                            write.done,
                            crate::printable::printable(&registered.issuer),
                            registered.client_id
                        );
                        write.registered = Some((provider, registered));
                        Ok(write)
                    }
                    Err(e) => {
                        let _ =
                            registration::unregister(&client, &place, &provider, Some(&registered))
                                .await;
                        Err(e.to_string())
                    }
                }
            }
            Err(e) => Err(e.to_string()),
        };
        let _ = tx.send(Msg::Done(Outcome::RegisteredForWrite(result)));
    });
}

/// Deletes a registration no written change uses.
pub(super) fn unregister(runtime: &Runtime, provider: String, registered: Registration) {
    let (paths, tx, store) = (runtime.paths().clone(), runtime.sender(), store(runtime));
    tokio::spawn(async move {
        // A file that was written after all (it then failed to load) uses the client.
        let written = std::fs::read_to_string(&paths.config_file)
            .is_ok_and(|text| text.contains(&format!("client_id = \"{}\"", registered.client_id)));
        if written {
            return;
        }
        let client = provider_client(&paths);
        let place = registration::place(&paths, store);
        let result = registration::unregister(&client, &place, &provider, Some(&registered))
            .await
            .map_err(|e| e.to_string());
        let _ = tx.send(Msg::Done(Outcome::Unregistered(result)));
    });
}

/// Deletes the registration of a provider table about to be removed, then hands the
/// change back to be written (with what became of the registration).
pub(super) fn unregister_then_write(runtime: &Runtime, provider: String, write: ConfigWrite) {
    let (engine, tx) = (runtime.engine(), runtime.sender());
    tokio::spawn(async move {
        let found = engine
            .as_ref()
            .and_then(|e| e.config().providers.get(&provider).cloned());
        let note = match (engine, found) {
            (Some(engine), Some(found)) => match engine.unregister(&found).await {
                Ok(note) => note,
                Err(e) => format!("its client registration could not be deleted: {e}"),
            },
            _ => "its client registration was not found to delete".to_string(),
        };
        let _ = tx.send(Msg::Done(Outcome::UnregisteredForWrite { note, write }));
    });
}

/// The store of the config in use (also before there is one).
fn store(runtime: &Runtime) -> StoreKind {
    match runtime.engine() {
        Some(engine) => engine.config().store,
        None => Config::store_from_env()
            .ok()
            .flatten()
            .unwrap_or(StoreKind::Keyring),
    }
}

/// The form has a field for the server: several servers are a message, not a prompt.
struct AskForIssuer;

impl PickServer for AskForIssuer {
    fn pick(&self, resource: &str, servers: &[String]) -> Result<String, EngineError> {
        Err(EngineError::Refused(format!(
            "{resource} names several authorization servers ({}); type the one to use as the Issuer URL",
            from_url::list(servers)
        )))
    }
}
