//! `tokdeck jwt sign`: test tokens for the APIs a developer builds, signed with a private
//! key file or a shared secret through the one signing path (`jwt::sign`).

use super::args::JwtSignArgs;
use super::error::CliError;
use crate::jwt::sign::{Hmac, Signer, sign as sign_jws};
use serde_json::{Map, Value};
use std::io::Read;

pub fn sign(args: JwtSignArgs) -> Result<(), CliError> {
    if args.secret_stdin && args.claims.as_deref() == Some("-") {
        return Err(CliError::Usage(
            "--secret-stdin reads the secret from stdin: give the claims as an argument".into(),
        ));
    }
    for (flag, value) in [("--kid", &args.kid), ("--typ", &Some(args.typ.clone()))] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(CliError::Usage(format!(
                "{flag} is empty; leave it out (the key's thumbprint is the kid, JWT the typ)"
            )));
        }
    }
    let mut claims = claims_of(args.claims.as_deref())?;
    for pair in &args.set {
        let (name, value) = pair.split_once('=').ok_or_else(|| {
            CliError::Usage(format!(
                "--set '{pair}': write NAME=VALUE (`--set role=admin`)"
            ))
        })?;
        if name.trim().is_empty() {
            return Err(CliError::Usage(format!(
                "--set '{pair}': the claim needs a name (`--set role=admin`)"
            )));
        }
        // JSON when it is JSON (numbers, booleans, arrays, objects), else the text.
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.into()));
        claims.insert(name.to_string(), value);
    }
    let now = chrono::Utc::now().timestamp();
    if !args.no_iat {
        claims.entry("iat").or_insert(now.into());
    }
    for (name, when) in [("exp", &args.exp), ("nbf", &args.nbf)] {
        if let Some(when) = when {
            claims.insert(name.into(), (now + seconds(name, when)?).into());
        }
    }
    for (name, value) in [
        ("aud", &args.aud),
        ("iss", &args.iss),
        ("sub", &args.sub),
        ("jti", &args.jti),
    ] {
        if let Some(value) = value {
            // Two values for one claim: say so rather than keep one silently.
            if args
                .set
                .iter()
                .any(|p| p.split_once('=').is_some_and(|(n, _)| n == name))
            {
                return Err(CliError::Usage(format!(
                    "--{name} and --set {name}=… both set `{name}`; give one"
                )));
            }
            claims.insert(name.into(), value.clone().into());
        }
    }
    let mut header = Map::new();
    header.insert("typ".into(), args.typ.clone().into());
    let secret = super::decode::shared_secret(
        args.secret_file.clone(),
        args.secret_env.clone(),
        args.secret_stdin,
    )?;
    let token = match (&args.key, &secret) {
        (Some(path), _) => {
            let key = crate::jwt::private_key::read_key(path)
                .map_err(|m| CliError::Usage(format!("--key '{}' {m}", path.display())))?;
            if let Some(alg) = &args.alg
                && !alg.eq_ignore_ascii_case(key.alg())
            {
                return Err(CliError::Usage(format!(
                    "--alg {alg} does not go with --key '{}', which signs {}: drop --alg, or give a key for {alg}",
                    path.display(),
                    key.alg()
                )));
            }
            let kid = args.kid.clone().unwrap_or_else(|| key.thumbprint());
            header.insert("kid".into(), kid.into());
            sign_jws(header, &Value::Object(claims), &Signer::Key(&key))
        }
        (None, Some(secret)) => {
            let hmac = Hmac::parse(args.alg.as_deref().unwrap_or("HS256"))
                .map_err(CliError::Usage)?;
            if let Some(warning) = hmac.weak_secret(secret.expose().as_bytes()) {
                say!("tokdeck: warning: {warning}");
            }
            if let Some(kid) = &args.kid {
                header.insert("kid".into(), kid.clone().into());
            }
            sign_jws(
                header,
                &Value::Object(claims),
                &Signer::Secret(secret.expose().as_bytes(), hmac),
            )
        }
        (None, None) => {
            return Err(CliError::Usage(
                "nothing to sign with: give --key FILE (a PEM private key or a private JWK) or a secret (--secret-file, --secret-env, --secret-stdin)".into(),
            ));
        }
    }
    .map_err(CliError::Failed)?;
    super::output::line(&token)
}

/// The claims object from the argument, a file (`@PATH`, as jwt-cli and curl write it),
/// stdin (`-`), or nothing (`{}`).
fn claims_of(arg: Option<&str>) -> Result<Map<String, Value>, CliError> {
    let text = match arg {
        None => return Ok(Map::new()),
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .take(1024 * 1024)
                .read_to_string(&mut text)
                .map_err(|e| CliError::Usage(format!("cannot read the claims from stdin: {e}")))?;
            text
        }
        Some(path) if path.starts_with('@') => {
            let path = &path[1..];
            let mut text = String::new();
            std::fs::File::open(path)
                .and_then(|f| f.take(1024 * 1024).read_to_string(&mut text))
                .map_err(|e| {
                    CliError::Usage(format!("cannot read the claims file '{path}': {e}"))
                })?;
            text
        }
        Some(text) => text.to_string(),
    };
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(CliError::Usage(
            "the claims are JSON but not an object; write them as '{\"sub\":\"alice\"}'".into(),
        )),
        Err(_) if arg.is_some_and(|a| std::path::Path::new(a).is_file()) => {
            Err(CliError::Usage(format!(
                "the claims '{}' are the name of a file; to read claims from it, write @{}",
                arg.unwrap_or_default(),
                arg.unwrap_or_default()
            )))
        }
        Err(e) => Err(CliError::Usage(format!(
            "the claims are not JSON (line {}, column {}: {}); write them as '{{\"sub\":\"alice\"}}', @FILE or - for stdin",
            e.line(),
            e.column(),
            json_problem(&e)
        ))),
    }
}

/// What went wrong in a JSON text, without quoting it.
fn json_problem(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "it ends too early",
        serde_json::error::Category::Syntax => "a syntax error",
        serde_json::error::Category::Data => "an unexpected value",
        serde_json::error::Category::Io => "it could not be read",
    }
}

/// `300`, `90s`, `10m`, `2h`, `1d` in seconds.
fn seconds(claim: &str, text: &str) -> Result<i64, CliError> {
    crate::jwt::edit::seconds(text).ok_or_else(|| {
        CliError::Usage(format!(
            "--{claim} '{text}' is not a duration; write 300, 90s, 10m, 2h or 1d"
        ))
    })
}

/// `tokdeck jwt keygen`: a new private key written 0600 (never over an existing file),
/// its public JWKS printed.
pub fn keygen(alg: &str, out: &std::path::Path) -> Result<(), CliError> {
    use base64::Engine as _;
    // As written in JOSE (RFC 7518, RFC 8037), whatever the case typed.
    let alg = match alg.to_ascii_uppercase().as_str() {
        "EDDSA" | "ED25519" => "EdDSA".to_string(),
        upper => upper.to_string(),
    };
    let der = crate::jwt::private_key::PrivateKey::generate_pkcs8(&alg).map_err(CliError::Usage)?;
    let body = base64::engine::general_purpose::STANDARD.encode(&der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    let key = crate::jwt::private_key::PrivateKey::from_pem(&pem).map_err(CliError::Failed)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    {
        use std::io::Write;
        let mut file = crate::files::open_no_follow(&mut options, out).map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::AlreadyExists {
                " (an existing file is never replaced: choose another name)"
            } else {
                ""
            };
            CliError::Usage(format!("cannot write '{}': {e}{why}", out.display()))
        })?;
        file.write_all(pem.as_bytes())
            .map_err(|e| CliError::Failed(format!("cannot write '{}': {e}", out.display())))?;
    }
    say!(
        "tokdeck: wrote the private key '{}' (0600); its public JWKS:",
        out.display()
    );
    let jwks = serde_json::json!({ "keys": [key.public_jwk(&key.thumbprint())] });
    super::output::line(&serde_json::to_string_pretty(&jwks).unwrap_or_default())
}

/// `tokdeck jwt serve`: the key's JWKS at `/jwks` and a discovery document naming it at
/// `/.well-known/openid-configuration` (RFC 8414 too), on 127.0.0.1 only, until Ctrl-C.
pub async fn serve(key_file: &std::path::Path, port: u16) -> Result<(), CliError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let key = crate::jwt::private_key::read_key(key_file)
        .map_err(|m| CliError::Usage(format!("--key '{}' {m}", key_file.display())))?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| CliError::Failed(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| CliError::Failed(e.to_string()))?
        .port();
    let issuer = format!("http://127.0.0.1:{port}");
    let jwks = serde_json::json!({ "keys": [key.public_jwk(&key.thumbprint())] }).to_string();
    let discovery = serde_json::json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/jwks"),
        "id_token_signing_alg_values_supported": [key.alg()],
    })
    .to_string();
    say!(
        "tokdeck: serving the public key of '{}' at {issuer}/jwks (issuer {issuer}); Ctrl-C stops",
        key_file.display()
    );
    let documents = std::sync::Arc::new((jwks, discovery));
    loop {
        // Ctrl-C ends the process (SIGINT's default): nothing here needs closing.
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        // Each connection on its own: an idle one holds only itself.
        let documents = documents.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            let read =
                tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf))
                    .await;
            let Ok(Ok(n)) = read else {
                return;
            };
            let head = String::from_utf8_lossy(&buf[..n]);
            let path = head.split(' ').nth(1).unwrap_or("/");
            let (jwks, discovery) = &*documents;
            let (status, body) = match path.split('?').next().unwrap_or_default() {
                "/jwks" | "/.well-known/jwks.json" => (200, jwks.as_str()),
                "/.well-known/openid-configuration" | "/.well-known/oauth-authorization-server" => {
                    (200, discovery.as_str())
                }
                _ => (404, r#"{"error":"not_found"}"#),
            };
            let reason = if status == 200 { "OK" } else { "Not Found" };
            let response = format!(
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(seconds("exp", "300").ok(), Some(300));
        assert_eq!(seconds("exp", "90s").ok(), Some(90));
        assert_eq!(seconds("exp", "10m").ok(), Some(600));
        assert_eq!(seconds("exp", "2h").ok(), Some(7200));
        assert_eq!(seconds("exp", "1d").ok(), Some(86_400));
        for bad in ["", "m", "10y", "ten", "999999999999d"] {
            assert!(seconds("exp", bad).is_err(), "{bad}");
        }
    }
}
