use super::args::DecodeArgs;
use super::error::CliError;
use crate::config::Paths;
use crate::engine::{KeySource, judge, provider_client};
use crate::jwt::expect::Expect;
use crate::jwt::{self, Decoded};
use chrono::Utc;
use serde_json::{Map, Value, json};
use std::io::Read;
use std::path::PathBuf;

/// Largest token read from stdin.
const MAX_TOKEN_BYTES: u64 = 1024 * 1024;

/// `tokdeck decode`: the token from the argument or stdin, its keys from one source.
pub async fn command(config: Option<PathBuf>, args: DecodeArgs) -> Result<(), CliError> {
    let DecodeArgs {
        token,
        account,
        issuer,
        jwks,
        aud,
        iss,
        leeway,
        max_age,
        secret_file,
        secret_env,
        secret_stdin,
        key,
        json,
    } = args;
    use std::io::IsTerminal;
    // People on a terminal read; scripts (a pipe, a file) get JSON.
    let human = !json && std::io::stdout().is_terminal();
    let secret = shared_secret(secret_file, secret_env, secret_stdin)?;
    let source = match (secret, key, account, issuer, jwks) {
        (Some(secret), ..) => KeySource::Secret(secret),
        (_, Some(key), ..) => KeySource::KeyFile(key),
        (_, _, Some(a), _, _) => KeySource::Account(a),
        (_, _, _, Some(i), _) => KeySource::Issuer(i),
        // A URL is fetched; anything else is a file (a path, or file://PATH).
        (.., Some(j)) if j.starts_with("https://") || j.starts_with("http://") => {
            KeySource::JwksUri(j)
        }
        (.., Some(j)) => KeySource::JwksFile(PathBuf::from(
            j.strip_prefix("file://").unwrap_or(&j).to_string(),
        )),
        _ => KeySource::None,
    };
    let expect = Expect {
        audience: aud,
        issuer: iss,
        leeway: i64::from(leeway),
        max_age: max_age.map(i64::from),
    };
    if run(config, token, source, &expect, human).await? {
        return Err(CliError::Unverified);
    }
    Ok(())
}

/// Prints the decoded token as JSON. Returns whether a requested verification failed.
async fn run(
    config: Option<PathBuf>,
    token: Option<String>,
    source: KeySource,
    expect: &Expect,
    human: bool,
) -> Result<bool, CliError> {
    let token = match token {
        Some(t) => t,
        None => {
            let mut text = String::new();
            std::io::stdin()
                .take(MAX_TOKEN_BYTES + 1)
                .read_to_string(&mut text)
                .map_err(|e| CliError::Usage(format!("cannot read a token from stdin: {e}")))?;
            text
        }
    };
    if token.len() as u64 >= MAX_TOKEN_BYTES {
        return Err(CliError::Usage(format!(
            "the input is over {} KiB; that is not a token",
            MAX_TOKEN_BYTES / 1024
        )));
    }
    // Accept what `tokdeck header` prints and what people copy from requests.
    let token = jwt::presented(&token);
    if token.is_empty() {
        return Err(CliError::Usage(
            "no token given: pass it as an argument or on stdin".into(),
        ));
    }
    if let Some((part, problem)) = jwt::damage(token) {
        let value = json!({
            "format": "malformed_jwt",
            "part": part,
            "problem": problem,
            "length": token.len(),
        });
        super::output::line(&serde_json::to_string_pretty(&value).unwrap_or_default())?;
        return Err(CliError::Failed(format!(
            "the token looks like a JWT but is damaged: {problem}"
        )));
    }
    let decoded = jwt::decode(token).map_err(|e| CliError::Usage(e.to_string()))?;
    let asked = source != KeySource::None;
    let paths = Paths::resolve(config.as_deref()).map_err(CliError::Usage)?;
    let judgement = match &source {
        KeySource::Account(_) => super::engine(config)?.judge(token, source, true).await?,
        _ => judge(&provider_client(&paths), token, source).await?,
    };
    let (verdict, risks) = (judgement.verdict.clone(), judgement.risks.clone());
    // The times are checked with the leeway asked for (the judgement's own report of
    // them allows none) whenever anything is asked of the token.
    let failures = match &decoded {
        Decoded::Jwt { claims, .. } if asked || expect.asks() => claims
            .as_object()
            .map(|c| expect.check(c, Utc::now()))
            .unwrap_or_default(),
        _ if !expect.asks() => Vec::new(),
        // Claims asked of a token that has none readable: each check fails.
        _ => vec![crate::jwt::expect::Failure {
            claim: "claims",
            expected: "a JWT whose claims can be checked".into(),
            got: "no readable claims".into(),
        }],
    };
    for failure in &failures {
        say!("tokdeck: {}", failure.describe());
    }
    let checks = Value::Array(
        failures
            .iter()
            .map(|f| json!({"claim": f.claim, "expected": f.expected, "got": f.got}))
            .collect(),
    );
    let mut value = match decoded {
        Decoded::Jwt { header, claims } => json!({
            "format": "jwt",
            "header": header,
            "claims": claims,
            "times": Value::Object(jwt::humanized_times(&claims, Utc::now())),
            "explained": Value::Object(explained(&claims)),
            "signature": judgement.signature_word(),
            "signature_detail": verdict.describe(),
            "risks": risks.iter().map(|r| json!({"risk": r.code(), "detail": r.describe()})).collect::<Vec<_>>(),
        }),
        Decoded::Encrypted { header } => json!({
            "format": "jwe",
            "header": header,
            "note": "an encrypted token: only its header is readable",
            "signature": verdict.word(),
        }),
        Decoded::Opaque => json!({
            "format": "opaque",
            "length": token.len(),
            "note": "not a JWT: a reference token that only the provider can read (try `tokdeck introspect`)",
            "signature": verdict.word(),
        }),
    };
    if expect.asks() || !failures.is_empty() {
        value["claim_failures"] = checks;
    }
    if human {
        super::output::line(&readable(&value))?;
    } else {
        super::output::line(&serde_json::to_string_pretty(&value).unwrap_or_default())?;
        // The JSON goes to a script; the person running it reads stderr.
        if asked && !judgement.signed() {
            let why = match verdict {
                // Valid, but refused for one of its risks: say those.
                jwt::verify::Verdict::Valid { .. } => risks
                    .iter()
                    .map(|r| r.describe())
                    .collect::<Vec<_>>()
                    .join("; "),
                _ => verdict.describe(),
            };
            say!("tokdeck: not trusted: {why}");
        }
    }
    // Asked "can I trust it?": anything but a valid signature on a current token is a no;
    // so is a claim that fails what was asked of it (or an expired token, when asked).
    Ok((asked && !judgement.signed()) || !failures.is_empty())
}

/// The shared secret from a file, an environment variable or stdin (never argv: a
/// secret on a command line is in the process list and the shell's history).
pub(super) fn shared_secret(
    file: Option<PathBuf>,
    env: Option<String>,
    stdin: bool,
) -> Result<Option<crate::secret::Secret>, CliError> {
    let text = match (file, env, stdin) {
        (Some(path), _, _) => {
            let mut text = String::new();
            std::fs::File::open(&path)
                .and_then(|f| f.take(MAX_TOKEN_BYTES).read_to_string(&mut text))
                .map_err(|e| {
                    CliError::Usage(format!(
                        "cannot read the secret file '{}': {e}",
                        path.display()
                    ))
                })?;
            // As with key files, but a warning: the secret may be shared on purpose.
            if let Err(why) = crate::jwt::private_key::check_private(&path) {
                say!(
                    "tokdeck: warning: the secret file '{}' {why}",
                    path.display()
                );
            }
            text
        }
        (_, Some(name), _) => std::env::var(&name).map_err(|_| {
            CliError::Usage(format!(
                "--secret-env {name}: the variable is not set (or not UTF-8); export it first"
            ))
        })?,
        (_, _, true) => {
            let mut text = String::new();
            std::io::stdin()
                .take(MAX_TOKEN_BYTES)
                .read_to_string(&mut text)
                .map_err(|e| CliError::Usage(format!("cannot read the secret from stdin: {e}")))?;
            text
        }
        _ => return Ok(None),
    };
    let secret = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    if secret.is_empty() {
        return Err(CliError::Usage(
            "the shared secret is empty; HMAC with an empty key proves nothing".into(),
        ));
    }
    Ok(Some(crate::secret::Secret::new(secret)))
}

/// The decoded token for people (what `decode` prints on a terminal): the verdict first,
/// then the header, the claims with their times and explanations, the risks and the
/// failed checks. Server text in it is escaped by `output::line`.
fn readable(value: &Value) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = Vec::new();
    let format = value["format"].as_str().unwrap_or("token");
    let verdict = value["signature_detail"]
        .as_str()
        .or(value["signature"].as_str())
        .unwrap_or("");
    out.push(format!("{}  {verdict}", format.to_uppercase()));
    if let Some(note) = value["note"].as_str() {
        out.push(note.to_string());
    }
    for (title, key) in [("Header", "header"), ("Claims", "claims")] {
        let Some(map) = value[key].as_object() else {
            continue;
        };
        out.push(title.to_string());
        let width = map.keys().map(|k| k.chars().count()).max().unwrap_or(0);
        for (name, v) in map {
            let mut line = format!("  {name:width$}  {}", text(v));
            if let Some(time) = value["times"][name.as_str()].as_str() {
                line.push_str(&format!("  {}", local_time(v, time)));
            }
            if let Some(what) = value["explained"][name.as_str()]
                .as_str()
                .filter(|_| key == "claims")
            {
                line.push_str(&format!("  ({what})"));
            }
            out.push(line);
        }
    }
    if let Some(risks) = value["risks"].as_array().filter(|r| !r.is_empty()) {
        out.push("Risks".into());
        out.extend(risks.iter().map(|r| format!("  ! {}", text(&r["detail"]))));
    }
    if let Some(failures) = value["claim_failures"].as_array().filter(|f| !f.is_empty()) {
        out.push("Failed checks".into());
        out.extend(failures.iter().map(|f| {
            format!(
                "  x `{}` is {}, expected {}",
                text(&f["claim"]),
                text(&f["got"]),
                text(&f["expected"])
            )
        }));
    }
    out.join("\n")
}

/// A time claim for people: the local time with its offset, and how long ago or ahead
/// (from `humanized`, "2026-11-25 23:10:00 UTC (in 4m 12s)"); the UTC form when the
/// claim is no whole timestamp.
fn local_time(claim: &Value, humanized: &str) -> String {
    let Some(at) = claim
        .as_i64()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
    else {
        return humanized.to_string();
    };
    let relative = humanized
        .find(" (")
        .map(|i| &humanized[i..])
        .unwrap_or_default();
    format!(
        "{}{relative}",
        at.with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S %:z")
    )
}

fn explained(claims: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    if let Value::Object(map) = claims {
        for key in map.keys() {
            if let Some(text) = jwt::explain::describe(key) {
                out.insert(key.clone(), Value::String(text.to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_read_the_verdict_the_claims_their_times_and_what_failed() {
        let value = json!({
            "format": "jwt",
            "header": {"alg": "RS256", "kid": "k1"},
            "claims": {"sub": "alice", "exp": 1_800_000_000, "aud": ["api"]},
            "times": {"exp": "2027-01-15 08:00:00 UTC (in 5m)"},
            "explained": {"sub": "subject"},
            "signature": "valid",
            "signature_detail": "signature valid (kid k1)",
            "risks": [{"risk": "other_issuer", "detail": "issued by 'x': the issuers differ"}],
            "claim_failures": [{"claim": "aud", "expected": "to hold \"web\"", "got": "[\"api\"]"}],
        });
        let text = readable(&value);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "JWT  signature valid (kid k1)");
        assert!(text.contains("  sub  alice  (subject)"), "{text}");
        // Local time with its offset, and how far away.
        let local = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .expect("ts")
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S %:z")
            .to_string();
        assert!(
            text.contains(&format!("1800000000  {local} (in 5m)")),
            "{text}"
        );
        assert!(
            text.contains("  ! issued by 'x': the issuers differ"),
            "{text}"
        );
        assert!(
            text.contains("  x `aud` is [\"api\"], expected to hold \"web\""),
            "{text}"
        );
    }
}
