//! RSA keys for `jwt keygen --alg RS256`: ring signs with RSA keys but does not make them.
//! A 2048-bit key from two random 1024-bit probable primes, as FIPS 186-5 §A.1.3 and
//! §B.3.3 describe: each passes trial division and Miller-Rabin with random bases,
//! `p − 1` and `q − 1` are prime to `e` = 65537, `|p − q| > 2^(nlen/2 − 100)` and
//! `d > 2^(nlen/2)`. It is written as PKCS#8 (RFC 5208, RFC 8017 §A.1.2), which ring then
//! loads, checking that the parts agree, before the key is kept.

use num_bigint::BigUint;
use ring::rand::SecureRandom;

/// The modulus's size in bits: NIST's floor, and what providers accept.
pub const MODULUS_BITS: u64 = 2048;
const PRIME_BYTES: usize = (MODULUS_BITS / 16) as usize;
const E: u32 = 65_537;
/// Miller-Rabin rounds per candidate: FIPS 186-5 Table B.1 asks for 5 for 1024-bit
/// primes of a 2048-bit key (error below 2^-100); twice that for margin.
const ROUNDS: usize = 10;

/// A new 2048-bit RSA private key as PKCS#8 DER.
pub fn generate(rng: &dyn SecureRandom) -> Result<Vec<u8>, String> {
    let one = BigUint::from(1u32);
    let e = BigUint::from(E);
    let small = small_primes();
    loop {
        let p = prime(rng, &small)?;
        let q = prime(rng, &small)?;
        let distance = if p > q { &p - &q } else { &q - &p };
        if distance.bits() <= MODULUS_BITS / 2 - 100 {
            continue;
        }
        let n = &p * &q;
        if n.bits() != MODULUS_BITS {
            continue;
        }
        let (p1, q1) = (&p - &one, &q - &one);
        let lambda = &p1 * &q1 / gcd(p1.clone(), q1.clone());
        let Some(d) = e.modinv(&lambda) else {
            continue;
        };
        if d.bits() <= MODULUS_BITS / 2 {
            continue;
        }
        let Some(q_inv) = q.modinv(&p) else {
            continue;
        };
        let (dp, dq) = (&d % &p1, &d % &q1);
        return Ok(pkcs8(&[&n, &e, &d, &p, &q, &dp, &dq, &q_inv]));
    }
}

/// A random probable prime of `PRIME_BYTES` bytes whose two top bits are set (so that
/// the product of two has exactly `MODULUS_BITS` bits) and that is 1 more than a
/// number prime to `E`.
fn prime(rng: &dyn SecureRandom, small: &[u32]) -> Result<BigUint, String> {
    loop {
        let mut bytes = random(rng, PRIME_BYTES)?;
        bytes[0] |= 0xc0;
        bytes[PRIME_BYTES - 1] |= 1;
        let candidate = BigUint::from_bytes_be(&bytes);
        if small.iter().any(|&s| (&candidate % s) == BigUint::ZERO) {
            continue;
        }
        if (&candidate % E) == BigUint::from(1u32) {
            continue;
        }
        if probably_prime(&candidate, rng)? {
            return Ok(candidate);
        }
    }
}

/// Miller-Rabin with `ROUNDS` random bases in [2, n − 2] (FIPS 186-5 §B.3.1).
fn probably_prime(n: &BigUint, rng: &dyn SecureRandom) -> Result<bool, String> {
    let one = BigUint::from(1u32);
    let two = BigUint::from(2u32);
    let n1 = n - &one;
    let s = n1.trailing_zeros().unwrap_or(0);
    let d = &n1 >> s;
    let span = n - 3u32;
    'rounds: for _ in 0..ROUNDS {
        let a = BigUint::from_bytes_be(&random(rng, PRIME_BYTES + 8)?) % &span + &two;
        let mut x = a.modpow(&d, n);
        if x == one || x == n1 {
            continue;
        }
        for _ in 1..s {
            x = x.modpow(&two, n);
            if x == n1 {
                continue 'rounds;
            }
        }
        return Ok(false);
    }
    Ok(true)
}

fn random(rng: &dyn SecureRandom, len: usize) -> Result<Vec<u8>, String> {
    let mut bytes = vec![0u8; len];
    rng.fill(&mut bytes)
        .map_err(|_| "no randomness for the key".to_string())?;
    Ok(bytes)
}

fn gcd(mut a: BigUint, mut b: BigUint) -> BigUint {
    while b != BigUint::ZERO {
        let r = &a % &b;
        a = b;
        b = r;
    }
    a
}

/// The odd primes below 2,000, for trial division.
fn small_primes() -> Vec<u32> {
    (3..2000u32)
        .step_by(2)
        .filter(|&k| {
            (3..)
                .step_by(2)
                .take_while(|f| f * f <= k)
                .all(|f| k % f != 0)
        })
        .collect()
}

/// PKCS#8 PrivateKeyInfo { version 0, rsaEncryption, RSAPrivateKey { version 0, n, e, d,
/// p, q, d mod (p − 1), d mod (q − 1), q⁻¹ mod p } }.
fn pkcs8(parts: &[&BigUint; 8]) -> Vec<u8> {
    let mut key = integer(&BigUint::ZERO);
    for part in parts {
        key.extend(integer(part));
    }
    let rsa_encryption = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut info = integer(&BigUint::ZERO);
    info.extend(tlv(0x30, &rsa_encryption));
    info.extend(tlv(0x04, &tlv(0x30, &key)));
    tlv(0x30, &info)
}

/// A DER INTEGER: big-endian, with a leading zero byte where the top bit is set.
fn integer(value: &BigUint) -> Vec<u8> {
    let mut bytes = value.to_bytes_be();
    if bytes[0] & 0x80 != 0 {
        bytes.insert(0, 0);
    }
    tlv(0x02, &bytes)
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature;

    #[test]
    fn a_generated_key_loads_in_ring_and_its_signatures_verify() {
        let rng = ring::rand::SystemRandom::new();
        let der = generate(&rng).expect("a key");
        let key = signature::RsaKeyPair::from_pkcs8(&der).expect("ring reads the key");
        assert_eq!(key.public().modulus_len() * 8, MODULUS_BITS as usize);
        let mut sig = vec![0; key.public().modulus_len()];
        key.sign(&signature::RSA_PKCS1_SHA256, &rng, b"message", &mut sig)
            .expect("signs");
        signature::UnparsedPublicKey::new(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            key.public().as_ref(),
        )
        .verify(b"message", &sig)
        .expect("verifies");
        // Two keys are two keys.
        assert_ne!(generate(&rng).expect("another"), der);
    }

    #[test]
    fn miller_rabin_tells_primes_from_composites() {
        let rng = ring::rand::SystemRandom::new();
        // 2^127 − 1 is prime; 561 and 2^64 + 1 (= 274177 × 67280421310721) are not.
        let mersenne = (BigUint::from(1u32) << 127u32) - 1u32;
        assert!(probably_prime(&mersenne, &rng).expect("rng"));
        assert!(!probably_prime(&BigUint::from(561u32), &rng).expect("rng"));
        let fermat = (BigUint::from(1u32) << 64u32) + 1u32;
        assert!(!probably_prime(&fermat, &rng).expect("rng"));
        assert_eq!(&small_primes()[..5], &[3, 5, 7, 11, 13]);
    }

    #[test]
    fn der_lengths_and_integers() {
        assert_eq!(
            integer(&BigUint::from(0x80u32)),
            vec![0x02, 0x02, 0x00, 0x80]
        );
        assert_eq!(tlv(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(tlv(0x04, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
    }
}
