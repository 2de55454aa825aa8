use super::error::CliError;
use crate::config::Flow;
use crate::engine::{Engine, EngineError, LoginObserver, LoginOptions, LogoutOptions};
use crate::humanize;
use crate::oauth::device::{DeviceAuthorization, PollEvent};
use crate::token::TokenSet;
use chrono::Utc;

/// Talks to the person at the terminal, on stderr.
struct Terminal {
    account: String,
    open_browser: bool,
    paste: bool,
}

impl Terminal {
    fn open(&self, url: &str) {
        if !self.open_browser {
            return;
        }
        if let Err(e) = crate::browser::open(url) {
            say!("tokdeck: {e}");
        }
    }
}

impl LoginObserver for Terminal {
    fn device_code(&self, auth: &DeviceAuthorization) {
        use crate::printable::Printable;
        say!(
            "To log in to '{}', open {} and enter the code:\n\n    {}\n",
            self.account,
            Printable(&auth.verification_uri),
            Printable(&auth.user_code)
        );
        if let Some(complete) = &auth.verification_uri_complete {
            say!(
                "Or open this link, which carries the code: {}",
                Printable(complete)
            );
        }
        say!(
            "Waiting for approval (the code expires in {})…",
            humanize::duration(chrono::Duration::seconds(auth.expires_in.as_secs() as i64))
        );
        self.open(auth.browser_uri());
    }

    fn pastes(&self) -> bool {
        self.paste
    }

    fn note(&self, text: &str) {
        say!("tokdeck: {text}");
    }

    fn pasted_redirect(&self) -> Result<String, String> {
        say!(
            "After approving, the browser goes to a http://127.0.0.1 page that does not load.\nPaste that page's full address here and press Enter:"
        );
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the pasted URL: {e}"))?;
        if line.trim().is_empty() {
            return Err("nothing was pasted".to_string());
        }
        Ok(line)
    }

    fn browser_url(&self, url: &str) {
        if self.paste {
            say!(
                "To log in to '{}', open this URL in a browser on any machine:\n\n    {url}\n",
                self.account
            );
            return;
        }
        if self.open_browser {
            say!(
                "Opening the browser to log in to '{}'. If it does not open, visit:\n\n    {url}\n",
                self.account
            );
        } else {
            say!(
                "To log in to '{}', open this URL in a browser on this machine:\n\n    {url}\n",
                self.account
            );
        }
        say!(
            "Waiting for the browser (at most {}; Ctrl-C cancels)…",
            humanize::duration(chrono::Duration::seconds(
                crate::oauth::browser::CALLBACK_TIMEOUT.as_secs() as i64
            ))
        );
        self.open(url);
    }

    fn poll(&self, event: &PollEvent) {
        match event {
            PollEvent::Pending => {}
            PollEvent::SlowDown(interval) => {
                say!(
                    "The provider asked to slow down; polling every {} s.",
                    interval.as_secs()
                )
            }
            PollEvent::Retrying { after, reason } => {
                say!("tokdeck: {reason}; retrying in {} s", after.as_secs())
            }
        }
    }
}

/// `tokdeck login`: options that do not go with the account's flow are refused first.
pub async fn command(
    engine: &Engine,
    account: &str,
    options: LoginOptions,
    no_browser: bool,
    paste: bool,
) -> Result<(), CliError> {
    super::output::warn_config(engine.config(), account);
    let configured = engine.account(account)?;
    // An account by exchange has no flow: the engine refuses its login and says why.
    let Some(used) = options.flow.or(configured.flow()) else {
        return run(engine, account, options, no_browser, paste).await;
    };
    if used == Flow::ClientCredentials && !configured.provider.authenticates() {
        return Err(CliError::Usage(format!(
            "the client_credentials flow needs the client's secret: set `client_secret` in [providers.{}]",
            configured.provider.name
        )));
    }
    if paste && used != Flow::Browser {
        return Err(CliError::Usage(format!(
            "--paste goes with the browser flow, and '{account}' would log in with the {used} flow; add --flow browser, or leave --paste out"
        )));
    }
    run(engine, account, options, no_browser, paste).await
}

pub async fn run(
    engine: &Engine,
    account: &str,
    options: LoginOptions,
    no_browser: bool,
    paste: bool,
) -> Result<(), CliError> {
    let terminal = Terminal {
        account: account.to_string(),
        open_browser: !no_browser && !paste,
        paste,
    };
    let record = engine.login(account, options, &terminal).await?;
    let who = record
        .identity
        .as_ref()
        .map(|i| format!(" as {}", i.who()))
        .unwrap_or_default();
    say!("Logged in to '{account}'{who}: {}", summary(&record.tokens));
    if engine.account(account)?.dpop() && !record.tokens.is_dpop() {
        say!(
            "tokdeck: warning: '{account}' has `dpop = true`, but the provider issued a {} token, not a DPoP-bound one: it does not do DPoP for this client",
            record.tokens.token_type
        );
    }
    Ok(())
}

/// `tokdeck logout`: revoke, delete, and with `--end-session` hand the provider's
/// end-session request to the browser.
pub async fn logout(
    engine: &Engine,
    account: &str,
    options: LogoutOptions,
) -> Result<(), CliError> {
    super::output::warn_config(engine.config(), account);
    let report = engine.logout(account, options).await?;
    for note in &report.notes {
        say!("tokdeck: {note}");
    }
    if report.revoked.is_empty() {
        say!("Logged out of '{account}'.");
    } else {
        say!(
            "Logged out of '{account}' (revoked the {}).",
            report.revoked.join(" and the ")
        );
    }
    let Some(end_session) = report.end_session else {
        return Ok(());
    };
    let opened = end_session
        .hand_to_browser(|url| {
            say!(
                "Ending the provider's browser session: confirm the sign-out in the browser. If it does not open, visit {url} in a browser on this machine (waiting {} s)…",
                crate::oauth::end_session::PAGE_TIMEOUT.as_secs()
            );
            if let Err(e) = crate::browser::open(url) {
                say!("tokdeck: {e}");
            }
        })
        .await;
    match opened {
        Ok(()) => {
            say!("The browser has the sign-out request; the next login asks who you are.");
            Ok(())
        }
        // The logout itself is done: only the browser session goes on.
        Err(crate::oauth::OAuthError::CallbackTimeout(secs)) => {
            say!(
                "tokdeck: no browser came for the sign-out page within {secs} s; '{account}' is logged out here, but the provider's browser session goes on: sign out there yourself to pick another person at the next login"
            );
            Ok(())
        }
        Err(e) => Err(EngineError::OAuth {
            account: account.to_string(),
            source: e,
        }
        .into()),
    }
}

/// `access token valid for 5m 00s, refresh token held`.
pub fn summary(tokens: &TokenSet) -> String {
    let validity = match tokens.remaining(Utc::now()) {
        Some(left) => format!("access token valid for {}", humanize::duration(left)),
        None => "access token without expiry".to_string(),
    };
    let refresh = if tokens.refresh_token.is_some() {
        "refresh token held"
    } else {
        "no refresh token"
    };
    format!("{validity}, {refresh}")
}
