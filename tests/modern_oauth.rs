//! The modern extensions against oidc-provider: pushed authorization requests (RFC 9126).

mod common;

use common::Home;
use common::provider::Provider;

fn par_config(provider: &Provider, par: bool) -> String {
    format!(
        "{}\n[providers.par]\nissuer = \"{}\"\nclient_id = \"tokdeck-par\"\nscopes = [\"openid\", \"email\", \"offline_access\"]\nflow = \"browser\"\n{}\n[accounts.pushed]\nprovider = \"par\"\n",
        provider.config(),
        provider.issuer,
        if par { "par = true\n" } else { "" }
    )
}

#[test]
fn pushed_authorization_requests_carry_the_whole_request() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&par_config(&provider, true));
    home.with_headless_user();
    let run = home.ok(&["login", "pushed"]);
    assert!(
        run.stderr
            .contains("Logged in to 'pushed' as alice@example.test"),
        "{run}"
    );
    // The browser saw only client_id and request_uri; PKCE, state and nonce were pushed.
    let opened = home
        .browser_log()
        .lines()
        .find_map(|l| l.strip_prefix("user.js: start ").map(str::to_string))
        .expect("the browser was started");
    assert!(opened.contains("request_uri=urn"), "{opened}");
    assert!(
        !opened.contains("code_challenge") && !opened.contains("state="),
        "{opened}"
    );
    assert!(
        provider.log_count("POST /request") >= 1,
        "{}",
        provider.log()
    );
    // The tokens work as any: a refresh with rotation, a logout that revokes.
    home.ok(&["refresh", "pushed"]);
    home.ok(&["logout", "pushed"]);

    // The same client without `par = true`: the provider refuses, and tokdeck says so.
    let mut home = Home::new(&par_config(&provider, false));
    home.with_headless_user();
    let run = home.run(&["login", "pushed"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.to_lowercase().contains("pushed"),
        "the provider's words: {run}"
    );
}
