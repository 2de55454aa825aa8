//! A public key from a file, as developers have them: PEM (`PUBLIC KEY` — SPKI —, `RSA
//! PUBLIC KEY` — PKCS#1 —, or a `CERTIFICATE`, whose subject key is taken) or JSON (one
//! JWK or a JWK Set). Read into JWKs, which the verifier already knows: RSA, EC P-256 /
//! P-384 / P-521, Ed25519. Only as much DER as those structures need is read.

use super::verify::{Jwk, Jwks};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// The keys in `text` (a file's contents), or what is wrong with it. PEM blocks are
/// found wherever they are (after `openssl x509 -text`'s dump, after comments), and each
/// is a key (a certificate chain, several keys: each may be the one).
pub fn parse(text: &str) -> Result<Jwks, String> {
    let blocks: Vec<&str> = text
        .match_indices("-----BEGIN ")
        .map(|(at, _)| &text[at..])
        .collect();
    if !blocks.is_empty() {
        let mut keys = Vec::new();
        let mut first_error = None;
        for block in blocks {
            match pem(block) {
                Ok(key) => keys.push(key),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        // A private key among them is refused whatever else the file holds.
        return match (keys.is_empty(), first_error) {
            (_, Some(e)) if e.starts_with("a private key") => Err(e),
            (false, _) => Ok(Jwks { keys }),
            (true, e) => Err(e.unwrap_or_default()),
        };
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("neither PEM nor JSON (line {})", e.line()))?;
    let set = if value.get("keys").is_some() {
        value
    } else {
        serde_json::json!({ "keys": [value] })
    };
    serde_json::from_value(set).map_err(|_| "JSON, but not a JWK or a JWK Set".to_string())
}

/// The key of a binary file: DER of a `PUBLIC KEY`, a `CERTIFICATE` or an `RSA PUBLIC
/// KEY`, as `openssl … -outform DER` writes them.
pub fn parse_der(der: &[u8]) -> Result<Jwks, String> {
    spki(der)
        .or_else(|_| certificate(der))
        .or_else(|_| rsa_public_key(der))
        .map(|key| Jwks { keys: vec![key] })
        .map_err(|_| {
            "a binary file that is no DER public key or certificate; give a PEM or JWK (`openssl pkey -pubin -inform DER -in FILE -out key.pem`)".into()
        })
}

fn pem(text: &str) -> Result<Jwk, String> {
    let begin = text.lines().next().unwrap_or_default().trim();
    let label = begin
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or("a PEM file whose first line is not -----BEGIN …-----")?
        .to_string();
    let body: String = text
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .map(str::trim)
        .collect();
    let der = STANDARD
        .decode(body)
        .map_err(|e| format!("the PEM body is not base64 ({e})"))?;
    match label.as_str() {
        "PUBLIC KEY" => spki(&der),
        "RSA PUBLIC KEY" => rsa_public_key(&der),
        "CERTIFICATE" => certificate(&der),
        "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => Err(format!(
            "a private key ({label}): give the public key (`openssl pkey -pubout`); verifying needs no secret"
        )),
        other => Err(format!(
            "a PEM '{other}': give PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE"
        )),
    }
}

/// One DER element: its tag, its content, and what follows it.
pub(crate) fn element(der: &[u8]) -> Result<(u8, &[u8], &[u8]), String> {
    let malformed = || "malformed DER".to_string();
    let (&tag, rest) = der.split_first().ok_or_else(malformed)?;
    let (&first, rest) = rest.split_first().ok_or_else(malformed)?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return Err(malformed());
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |n, b| (n << 8) | usize::from(*b));
        (length, &rest[count..])
    };
    if rest.len() < length {
        return Err(malformed());
    }
    Ok((tag, &rest[..length], &rest[length..]))
}

/// The content of the element tagged `tag` at the start of `der`, and what follows.
pub(crate) fn expect(der: &[u8], tag: u8) -> Result<(&[u8], &[u8]), String> {
    let (found, content, rest) = element(der)?;
    if found != tag {
        return Err(format!(
            "unexpected DER element (tag {found:#04x}, wanted {tag:#04x})"
        ));
    }
    Ok((content, rest))
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OID: u8 = 0x06;

// The OIDs' DER contents (RFC 3279, RFC 5480, RFC 8410).
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
pub(crate) const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
pub(crate) const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];

/// SubjectPublicKeyInfo (RFC 5280 §4.1).
fn spki(der: &[u8]) -> Result<Jwk, String> {
    let (info, _) = expect(der, SEQUENCE)?;
    let (algorithm, rest) = expect(info, SEQUENCE)?;
    let (key, _) = expect(rest, BIT_STRING)?;
    // The first byte of a BIT STRING counts unused bits: 0 for keys.
    let key = key
        .strip_prefix(&[0])
        .ok_or("a key BIT STRING with unused bits")?;
    let (oid, params) = expect(algorithm, OID)?;
    match oid {
        RSA_ENCRYPTION => rsa_public_key(key),
        ED25519 if key.len() == 32 => Ok(jwk("OKP", Some("Ed25519"), Some(key), None)),
        EC_PUBLIC_KEY => {
            let (curve, _) = expect(params, OID)?;
            let (crv, size) = match curve {
                P256 => ("P-256", 32),
                P384 => ("P-384", 48),
                P521 => ("P-521", 66),
                _ => return Err("an EC key on a curve other than P-256, P-384 or P-521".into()),
            };
            match key.split_first() {
                Some((4, point)) if point.len() == 2 * size => {
                    let (x, y) = point.split_at(size);
                    Ok(jwk("EC", Some(crv), Some(x), Some(y)))
                }
                _ => Err("an EC key that is not an uncompressed point".into()),
            }
        }
        _ => Err("a key that is neither RSA, EC nor Ed25519".into()),
    }
}

/// RSAPublicKey (RFC 8017 §A.1.1).
fn rsa_public_key(der: &[u8]) -> Result<Jwk, String> {
    let (key, _) = expect(der, SEQUENCE)?;
    let (n, rest) = expect(key, INTEGER)?;
    let (e, _) = expect(rest, INTEGER)?;
    let unsigned = |v: &[u8]| -> Vec<u8> {
        let start = v.iter().position(|&b| b != 0).unwrap_or(v.len());
        v[start..].to_vec()
    };
    Ok(Jwk {
        kty: "RSA".into(),
        kid: None,
        alg: None,
        use_: None,
        n: Some(URL_SAFE_NO_PAD.encode(unsigned(n))),
        e: Some(URL_SAFE_NO_PAD.encode(unsigned(e))),
        crv: None,
        x: None,
        y: None,
    })
}

/// Certificate → tbsCertificate → subjectPublicKeyInfo (RFC 5280 §4.1).
fn certificate(der: &[u8]) -> Result<Jwk, String> {
    let (cert, _) = expect(der, SEQUENCE)?;
    let (tbs, _) = expect(cert, SEQUENCE)?;
    let mut rest = tbs;
    // [0] version, when present.
    if rest.first() == Some(&0xa0) {
        rest = element(rest)?.2;
    }
    // serialNumber, signature, issuer, validity, subject: skipped.
    for _ in 0..5 {
        rest = element(rest)?.2;
    }
    // subjectPublicKeyInfo, the whole element.
    let (_, _, after) = element(rest)?;
    spki(&rest[..rest.len() - after.len()])
}

fn jwk(kty: &str, crv: Option<&str>, x: Option<&[u8]>, y: Option<&[u8]>) -> Jwk {
    Jwk {
        kty: kty.into(),
        kid: None,
        alg: None,
        use_: None,
        n: None,
        e: None,
        crv: crv.map(str::to_string),
        x: x.map(|x| URL_SAFE_NO_PAD.encode(x)),
        y: y.map(|y| URL_SAFE_NO_PAD.encode(y)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_keys_and_unknown_labels_are_refused_with_what_to_give() {
        let private = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(
            parse(private)
                .expect_err("private")
                .contains("openssl pkey -pubout")
        );
        let other = "-----BEGIN DH PARAMETERS-----\nAAAA\n-----END DH PARAMETERS-----\n";
        assert!(parse(other).expect_err("other").contains("give PUBLIC KEY"));
        assert!(
            parse("nonsense")
                .expect_err("text")
                .contains("neither PEM nor JSON")
        );
        // Truncated DER never panics.
        let truncated = "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----\n";
        assert!(parse(truncated).is_err());
    }
}
