//! Every key config.toml takes, as the man page lists them (a test compares this with
//! the keys tokdeck itself names when one is unknown).

/// Every key of config.toml: (table, key, what it does).
pub const KEYS: &[(&str, &str, &str)] = &[
    (
        "top level",
        "store",
        "where tokens are kept: \"keyring\" (default: the OS keyring) or \"file\" (0600 files in the data directory)",
    ),
    (
        "top level",
        "default_account",
        "the account commands use when none is named or chosen by TOKDECK_ACCOUNT or directories",
    ),
    (
        "[dashboard]",
        "clipboard_clear_seconds",
        "clear a token copied in the dashboard after this many seconds (0: never)",
    ),
    (
        "[providers.NAME]",
        "preset",
        "a known provider (tokdeck providers lists them); fills in endpoints, scopes and flow",
    ),
    (
        "[providers.NAME]",
        "issuer",
        "the OpenID issuer URL; its discovery document supplies the endpoints",
    ),
    (
        "[providers.NAME]",
        "client_id",
        "the OAuth client registered for tokdeck (required)",
    ),
    (
        "[providers.NAME]",
        "client_secret",
        "the client's secret, for confidential clients and client_credentials",
    ),
    (
        "[providers.NAME]",
        "scopes",
        "scopes asked for (default: the preset's, else [\"openid\"])",
    ),
    (
        "[providers.NAME]",
        "flow",
        "\"device\", \"browser\" or \"client_credentials\" (default: browser)",
    ),
    (
        "[providers.NAME]",
        "params",
        "extra authorization and token request parameters, e.g. { audience = \"https://api\" }",
    ),
    (
        "[providers.NAME]",
        "redirect_port",
        "a fixed loopback port for the browser flow (default: any free port)",
    ),
    (
        "[providers.NAME]",
        "registration",
        "\"dynamic\": tokdeck registered the client itself (RFC 7591; `tokdeck add --url`), registers it again when the server forgets it, deletes it on remove",
    ),
    ("[providers.NAME]", "tenant", "preset value (microsoft)"),
    ("[providers.NAME]", "domain", "preset value (auth0, okta)"),
    ("[providers.NAME]", "realm", "preset value (keycloak)"),
    (
        "[providers.NAME]",
        "base_url",
        "preset value (keycloak, self-hosted gitlab)",
    ),
    (
        "[providers.NAME]",
        "authorization_server",
        "preset value (okta; default \"default\")",
    ),
    (
        "[providers.NAME]",
        "authorization_endpoint",
        "explicit endpoint, over discovery and the preset",
    ),
    (
        "[providers.NAME]",
        "token_endpoint",
        "explicit endpoint; with it no issuer is needed",
    ),
    (
        "[providers.NAME]",
        "device_authorization_endpoint",
        "explicit endpoint (RFC 8628)",
    ),
    (
        "[providers.NAME]",
        "revocation_endpoint",
        "explicit endpoint (RFC 7009), used by logout",
    ),
    (
        "[providers.NAME]",
        "introspection_endpoint",
        "explicit endpoint (RFC 7662)",
    ),
    (
        "[providers.NAME]",
        "userinfo_endpoint",
        "explicit endpoint (OIDC Core 5.3)",
    ),
    (
        "[providers.NAME]",
        "jwks_uri",
        "explicit key set, to verify ID tokens and decode --account",
    ),
    (
        "[providers.NAME]",
        "end_session_endpoint",
        "explicit endpoint for logout --end-session",
    ),
    (
        "[providers.NAME]",
        "client_auth",
        "how the client authenticates: client_secret_basic (the default with a secret), client_secret_jwt (an HS256 assertion over the secret) or private_key_jwt (RFC 7523)",
    ),
    (
        "[providers.NAME]",
        "client_key",
        "private_key_jwt: the PKCS#8 PEM key file (RSA, EC P-256/P-384, Ed25519), 0600, or \"keyring\" for the key stored by client-key import",
    ),
    (
        "[providers.NAME]",
        "client_key_id",
        "private_key_jwt: the kid the provider knows the key by (default: its RFC 7638 thumbprint)",
    ),
    (
        "[providers.NAME]",
        "par",
        "push every authorization request (RFC 9126), also when the provider does not announce that it requires it",
    ),
    (
        "[providers.NAME]",
        "dpop",
        "DPoP-bound tokens (RFC 9449) for the provider's accounts: a key per account, a proof with every request",
    ),
    (
        "[providers.NAME]",
        "pushed_authorization_request_endpoint",
        "explicit endpoint for pushed authorization requests (RFC 9126)",
    ),
    (
        "[providers.NAME]",
        "post_logout_redirect_uri",
        "where the provider sends the browser after logout --end-session",
    ),
    (
        "[accounts.NAME]",
        "provider",
        "the [providers.NAME] table it uses (required)",
    ),
    (
        "[accounts.NAME]",
        "scopes",
        "scopes for this account, over the provider's",
    ),
    (
        "[accounts.NAME]",
        "flow",
        "flow for this account, over the provider's",
    ),
    (
        "[accounts.NAME]",
        "params",
        "parameters added to the provider's",
    ),
    (
        "[accounts.NAME]",
        "dpop",
        "DPoP-bound tokens (RFC 9449) for this account, over the provider's dpop",
    ),
    (
        "[accounts.NAME]",
        "resources",
        "APIs (RFC 8707 resource indicators) the login asks for; token --resource URI gets each its own token, and the dashboard keeps them fresh",
    ),
    (
        "[accounts.NAME]",
        "exchange_from",
        "an account whose tokens are exchanged (RFC 8693) from this account's, at its provider; no login of its own (instead of provider)",
    ),
    (
        "[accounts.NAME]",
        "audience",
        "exchange_from: the audience of the exchanged token",
    ),
    (
        "[accounts.NAME]",
        "resource",
        "exchange_from: the resource the exchanged token is for (RFC 8707)",
    ),
    (
        "[accounts.NAME]",
        "login_hint",
        "sent as login_hint so the provider asks for this person",
    ),
    (
        "[accounts.NAME]",
        "directories",
        "working directories (and below) in which commands pick this account, e.g. [\"~/src/acme\"]",
    ),
    (
        "[accounts.NAME]",
        "env",
        "the variables tokdeck exec puts the access token in (default [\"ACCESS_TOKEN\"])",
    ),
    (
        "[accounts.NAME]",
        "urls",
        "URL prefixes for which git and Docker get this account's token, e.g. [\"https://gitlab.example.com/acme/\"]; the longest match wins",
    ),
    (
        "[accounts.NAME]",
        "git_username",
        "the user name git sends with the token (default: the preset's, e.g. oauth2 for GitLab, x-access-token for GitHub)",
    ),
    (
        "[accounts.NAME]",
        "agent",
        "the table [accounts.NAME.agent]: what tokdeck agent hands out of the account, and to whom without asking (the keys below)",
    ),
    (
        "[accounts.NAME.agent]",
        "approve",
        "when the agent asks you before it hands out a token: \"never\", \"session\" (once per caller's session) or \"always\"; unset: never for your own shells and programs, once per session for coding agents, containers and forwarded connections (these are always asked about)",
    ),
    (
        "[accounts.NAME.agent]",
        "id_token",
        "true: the agent may hand out the ID token (default false)",
    ),
    (
        "[accounts.NAME.agent]",
        "scopes",
        "a ceiling: the scopes a caller of the agent may get at most",
    ),
    (
        "[accounts.NAME.agent]",
        "resources",
        "a ceiling: the APIs (RFC 8707) a caller of the agent may get a token for",
    ),
    (
        "[accounts.NAME.agent]",
        "forget_after",
        "a duration (\"14d\"): the agent revokes and deletes the grant when nobody used it that long",
    ),
    (
        "[accounts.NAME.agent]",
        "forwardable",
        "true: the account is offered on hosts reached by tokdeck ssh (default false)",
    ),
];
