//! The options of `decode` (verify, check claims) and `jwt` (sign, keygen, serve):
//! tokens inspected and made.

use crate::cli::complete;
use clap::Subcommand;
use clap_complete::engine::ArgValueCompleter;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct DecodeArgs {
    /// The token; read from stdin when absent (keeps it out of the process list).
    pub token: Option<String>,
    /// Verify with this account's provider keys.
    #[arg(long, add = ArgValueCompleter::new(complete::accounts), conflicts_with_all = ["issuer", "jwks"])]
    pub account: Option<String>,
    /// Verify with the keys of this issuer (OIDC discovery).
    #[arg(long, conflicts_with = "jwks", value_name = "URL")]
    pub issuer: Option<String>,
    /// Verify with the JWK Set at this URL, or in this file (a path or file://PATH; a
    /// single JWK will do).
    #[arg(long, value_name = "URL|FILE")]
    pub jwks: Option<String>,
    /// Verify with this public key: PEM (PUBLIC KEY, RSA PUBLIC KEY, CERTIFICATE) or a
    /// JWK / JWK Set; RSA, EC P-256/P-384/P-521, Ed25519. Its type decides the algorithms.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["account", "issuer", "jwks", "secret_file", "secret_env", "secret_stdin"])]
    pub key: Option<PathBuf>,
    /// Verify an HS256/384/512 token with the shared secret in this file (a trailing line
    /// break is not part of it). Never give a secret on the command line.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["account", "issuer", "jwks", "secret_env", "secret_stdin"])]
    pub secret_file: Option<PathBuf>,
    /// Verify with the shared secret in this environment variable.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["account", "issuer", "jwks", "secret_stdin"])]
    pub secret_env: Option<String>,
    /// Verify with the shared secret read from stdin (the token is then an argument).
    #[arg(long, conflicts_with_all = ["account", "issuer", "jwks"], requires = "token")]
    pub secret_stdin: bool,
    /// JSON even on a terminal (it is always JSON when stdout is not a terminal).
    #[arg(long)]
    pub json: bool,
    /// The token must be for this audience (`aud` holds it); exit 3 when not.
    #[arg(long, value_name = "AUDIENCE")]
    pub aud: Option<String>,
    /// The token must be this issuer's (`iss`); exit 3 when not.
    #[arg(long, value_name = "ISSUER")]
    pub iss: Option<String>,
    /// Seconds of clock skew allowed for `exp`, `nbf` and --max-age.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub leeway: u32,
    /// The token must be at most this many seconds old (by `iat`); exit 3 when not.
    #[arg(long, value_name = "SECONDS")]
    pub max_age: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum JwtCommand {
    /// Sign a JWT: claims from a JSON argument (`-`: stdin), plus --set and the claim
    /// options; the key from --key (a PEM private key, PKCS#8, PKCS#1 or SEC1, or a private JWK: RS256, ES256/ES384, EdDSA)
    /// or a shared secret (HS256/384/512, never on the command line). Prints the token.
    Sign(Box<JwtSignArgs>),
    /// Write a new private key (PKCS#8 PEM, 0600) for `jwt sign` and print its public
    /// JWKS, with the RFC 7638 thumbprint as `kid`.
    Keygen {
        /// ES256 (P-256), ES384 (P-384), RS256 (RSA, 2048 bits) or EdDSA (Ed25519).
        #[arg(long, default_value = "ES256")]
        alg: String,
        /// The file to write; refused when it exists.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Serve a key's JWKS and a minimal discovery document on 127.0.0.1, so a service under
    /// development can verify tokens made by `jwt sign` (`--issuer` / `--jwks` point at
    /// it). Runs until Ctrl-C.
    Serve {
        /// The private key whose public half is served (as for `jwt sign --key`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The port (0: any free one; it is printed).
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
}

#[derive(Debug, clap::Args)]
pub struct JwtSignArgs {
    /// The claims as a JSON object; `@FILE` reads them from a file, `-` from stdin;
    /// none: `{}`.
    pub claims: Option<String>,
    /// A claim NAME=VALUE (repeat for more): VALUE is JSON when it parses as JSON (numbers,
    /// booleans, arrays), else a string.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// `exp` this long from now: 300, 90s, 10m, 2h, 1d (`-5m`: an expired token).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub exp: Option<String>,
    /// `nbf` this long from now (`-1h`: an hour ago).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub nbf: Option<String>,
    /// Leave `iat` (now, by default) out.
    #[arg(long)]
    pub no_iat: bool,
    /// The audience (`aud`): who the token is for.
    #[arg(long)]
    pub aud: Option<String>,
    /// The issuer (`iss`): who made it.
    #[arg(long)]
    pub iss: Option<String>,
    /// The subject (`sub`): who or what it is about.
    #[arg(long)]
    pub sub: Option<String>,
    /// A unique id (`jti`).
    #[arg(long)]
    pub jti: Option<String>,
    /// The header's `kid` (a key file's default: its RFC 7638 thumbprint).
    #[arg(long)]
    pub kid: Option<String>,
    /// The header's `typ` (default JWT).
    #[arg(long, default_value = "JWT")]
    pub typ: String,
    /// The private key (PKCS#8 PEM, readable by its owner only).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["secret_file", "secret_env", "secret_stdin"])]
    pub key: Option<PathBuf>,
    /// The shared secret in this file (a trailing line break is not part of it).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["secret_env", "secret_stdin"])]
    pub secret_file: Option<PathBuf>,
    /// The shared secret in this environment variable.
    #[arg(long, value_name = "NAME", conflicts_with = "secret_stdin")]
    pub secret_env: Option<String>,
    /// The shared secret from stdin (the claims then come as an argument).
    #[arg(long)]
    pub secret_stdin: bool,
    /// The HMAC algorithm for a secret (HS256, the default, HS384, HS512); a key's type
    /// decides its own, and a different --alg with a key is refused.
    #[arg(long)]
    pub alg: Option<String>,
}
