use super::*;
use crate::jwt::risks::{Risk, risks};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair,
};
use serde_json::json;

fn enc(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        enc(&serde_json::to_vec(header).expect("json")),
        enc(&serde_json::to_vec(claims).expect("json"))
    )
}

type SignFn = Box<dyn Fn(&[u8]) -> Vec<u8>>;

/// A signer for one curve, with its public JWK.
struct Signer {
    sign: SignFn,
    jwk: Jwk,
}

fn ec(alg: &'static signature::EcdsaSigningAlgorithm, crv: &str, kid: &str) -> Signer {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("key");
    let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).expect("pair");
    let public = pair.public_key().as_ref().to_vec();
    let half = (public.len() - 1) / 2;
    let jwk = Jwk {
        kty: "EC".into(),
        kid: Some(kid.into()),
        alg: None,
        use_: Some("sig".into()),
        n: None,
        e: None,
        crv: Some(crv.into()),
        x: Some(enc(&public[1..1 + half])),
        y: Some(enc(&public[1 + half..])),
    };
    Signer {
        sign: Box::new(move |m| {
            pair.sign(&SystemRandom::new(), m)
                .expect("sign")
                .as_ref()
                .to_vec()
        }),
        jwk,
    }
}

fn ed25519(kid: &str) -> Signer {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key");
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("pair");
    let jwk = Jwk {
        kty: "OKP".into(),
        kid: Some(kid.into()),
        alg: None,
        use_: None,
        n: None,
        e: None,
        crv: Some("Ed25519".into()),
        x: Some(enc(pair.public_key().as_ref())),
        y: None,
    };
    Signer {
        sign: Box::new(move |m| pair.sign(m).as_ref().to_vec()),
        jwk,
    }
}

fn token(signer: &Signer, header: Value, claims: &Value) -> String {
    let input = signing_input(&header, claims);
    format!("{input}.{}", enc(&(signer.sign)(input.as_bytes())))
}

#[test]
fn ecdsa_and_eddsa_tokens_verify_and_tampering_is_caught() {
    let claims = json!({"sub": "alice", "aud": "api"});
    for (alg, signer) in [
        (
            "ES256",
            ec(&ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", "k256"),
        ),
        (
            "ES384",
            ec(&ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", "k384"),
        ),
        ("EdDSA", ed25519("ked")),
    ] {
        let jwks = Jwks {
            keys: vec![signer.jwk.clone()],
        };
        let kid = signer.jwk.kid.clone();
        let good = token(&signer, json!({"alg": alg, "kid": kid}), &claims);
        assert_eq!(
            verify(&good, Some(&jwks)),
            Verdict::Valid { kid: kid.clone() },
            "{alg}"
        );
        // One claim changed, the signature kept.
        let parts: Vec<&str> = good.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            enc(br#"{"sub":"mallory","aud":"api"}"#),
            parts[2]
        );
        assert_eq!(verify(&forged, Some(&jwks)), Verdict::Invalid, "{alg}");
    }
}

#[test]
fn unknown_kid_and_foreign_keys() {
    let signer = ec(&ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", "mine");
    let stranger = ec(&ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", "theirs");
    let jwks = Jwks {
        keys: vec![signer.jwk.clone()],
    };
    let claims = json!({"sub": "x"});
    let by_stranger = token(&stranger, json!({"alg": "ES256", "kid": "theirs"}), &claims);
    assert_eq!(
        verify(&by_stranger, Some(&jwks)),
        Verdict::UnknownKey {
            kid: Some("theirs".into())
        }
    );
    // A stranger's signature claiming our kid is simply invalid.
    let impostor = token(&stranger, json!({"alg": "ES256", "kid": "mine"}), &claims);
    assert_eq!(verify(&impostor, Some(&jwks)), Verdict::Invalid);
    // No kid: every key of the right type is tried.
    let no_kid = token(&signer, json!({"alg": "ES256"}), &claims);
    assert_eq!(verify(&no_kid, Some(&jwks)), Verdict::Valid { kid: None });
}

#[test]
fn alg_none_hmac_opaque_and_no_jwks() {
    let none = format!(
        "{}.",
        signing_input(&json!({"alg": "none"}), &json!({"sub": "x"}))
    );
    assert_eq!(verify(&none, Some(&Jwks::default())), Verdict::AlgNone);
    let hs = format!(
        "{}.c2ln",
        signing_input(&json!({"alg": "HS256"}), &json!({"sub": "x"}))
    );
    assert!(
        matches!(verify(&hs, None), Verdict::NotVerifiable(why) if why.contains("shared secret"))
    );
    assert!(
        matches!(verify("gho_opaque", None), Verdict::NotVerifiable(why) if why.contains("opaque"))
    );
    let signer = ed25519("k");
    let t = token(&signer, json!({"alg": "EdDSA", "kid": "k"}), &json!({}));
    assert_eq!(verify(&t, None), Verdict::NotVerifiable("no JWKS".into()));
    assert_eq!(Verdict::Invalid.describe(), "signature INVALID");
    assert_eq!(
        Verdict::Valid {
            kid: Some("k".into())
        }
        .describe(),
        "signature valid (kid k)"
    );
}

#[test]
fn risky_headers_are_flagged() {
    let jwks = Jwks {
        keys: vec![ed25519("k1").jwk],
    };
    let codes = |header: Value, jwks: Option<&Jwks>| -> Vec<&'static str> {
        risks(&header, jwks).iter().map(Risk::code).collect()
    };
    assert_eq!(codes(json!({"alg": "none"}), None), vec!["alg_none"]);
    assert_eq!(
        codes(json!({"alg": "RS256", "jku": "https://evil/jwks"}), None),
        vec!["key_from_token"]
    );
    assert_eq!(
        codes(json!({"alg": "RS256", "x5u": "https://evil/cert"}), None),
        vec!["key_from_token"]
    );
    assert_eq!(
        codes(json!({"alg": "RS256", "jwk": {"kty": "RSA"}}), None),
        vec!["key_from_token"]
    );
    assert_eq!(
        codes(json!({"alg": "HS256"}), Some(&jwks)),
        vec!["hmac_with_public_keys"]
    );
    assert!(
        codes(json!({"alg": "HS256"}), Some(&Jwks::default())).is_empty(),
        "no public keys, no confusion"
    );
    assert_eq!(
        codes(json!({"alg": "EdDSA", "crit": ["b64"]}), None),
        vec!["unknown_crit"]
    );
    assert_eq!(
        codes(json!({"alg": "EdDSA", "kid": "gone"}), Some(&jwks)),
        vec!["kid_not_in_jwks"]
    );
    assert!(codes(json!({"alg": "EdDSA", "kid": "k1"}), Some(&jwks)).is_empty());
    let text = Risk::KeyFromToken("jku".into()).describe();
    assert!(text.contains("jku"), "{text}");
}

/// From a trial: a key that cannot check the token is said to be the trouble, never the
/// token's signature (`invalid` blames the token).
#[test]
fn a_key_unfit_for_the_token_is_not_verifiable_with_the_reason() {
    let claims = json!({"sub": "x"});
    let p256 = ec(&ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", "k");
    let p384 = ec(&ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", "k");
    let es256 = token(&p256, json!({"alg": "ES256", "kid": "k"}), &claims);
    let not_verifiable = |jwk: Jwk, needle: &str| {
        let keys = Jwks { keys: vec![jwk] };
        match verify_with_keys(&es256, &keys) {
            Verdict::NotVerifiable(why) => assert!(why.contains(needle), "{why}"),
            other => panic!("{needle}: {other:?}"),
        }
    };
    not_verifiable(p384.jwk.clone(), "curve P-256");
    not_verifiable(
        Jwk {
            alg: Some("ES384".into()),
            ..p256.jwk.clone()
        },
        "is for alg ES384",
    );
    not_verifiable(
        Jwk {
            use_: Some("enc".into()),
            ..p256.jwk.clone()
        },
        "for use 'enc'",
    );
    not_verifiable(
        Jwk {
            x: Some("AAAA".into()),
            ..p256.jwk.clone()
        },
        "not 32 bytes",
    );
    // An RSA key under 2048 bits (any signature bytes: the size decides first).
    let rs256 = format!(
        "{}.{}",
        signing_input(&json!({"alg": "RS256"}), &claims),
        enc(&[1; 128])
    );
    let small = Jwk {
        kty: "RSA".into(),
        kid: None,
        alg: None,
        use_: None,
        n: Some(enc(&[0xc5; 128])),
        e: Some(enc(&[1, 0, 1])),
        crv: None,
        x: None,
        y: None,
    };
    match verify_with_keys(&rs256, &Jwks { keys: vec![small] }) {
        Verdict::NotVerifiable(why) => assert!(why.contains("1024 bits"), "{why}"),
        other => panic!("{other:?}"),
    }
    // The right key still verifies, and a wrong signature with it is invalid.
    let keys = Jwks {
        keys: vec![p256.jwk.clone()],
    };
    assert!(matches!(
        verify_with_keys(&es256, &keys),
        Verdict::Valid { .. }
    ));
    let other = token(
        &ec(&ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", "k"),
        json!({"alg": "ES256", "kid": "k"}),
        &claims,
    );
    assert_eq!(verify_with_keys(&other, &keys), Verdict::Invalid);
}
