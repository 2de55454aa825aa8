//! ECDSA over P-521 with SHA-512 (ES512, RFC 7518 §3.4), verification only: ring has no
//! P-521. SEC 1 §4.1.4 with the curve of SEC 2 §2.6.1 (FIPS 186-5's P-521). Every input
//! is public (the key, the message, the signature), so the arithmetic need not be
//! constant-time; the key is checked to be a point of the curve before it is used.

use num_bigint::BigUint;
use sha2::{Digest, Sha512};

/// Bytes of a coordinate, of `r` and of `s` (RFC 7518 §3.4: 66 for P-521).
pub const SIZE: usize = 66;

const B: &str = "0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00";
const GX: &str = "00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66";
const GY: &str = "011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650";
const N: &str = "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409";

fn hex(text: &str) -> BigUint {
    BigUint::parse_bytes(text.as_bytes(), 16).unwrap_or_default()
}

/// The field: integers modulo p = 2^521 − 1.
struct Field {
    p: BigUint,
}

impl Field {
    fn add(&self, a: &BigUint, b: &BigUint) -> BigUint {
        (a + b) % &self.p
    }
    fn sub(&self, a: &BigUint, b: &BigUint) -> BigUint {
        (a + &self.p - b) % &self.p
    }
    fn mul(&self, a: &BigUint, b: &BigUint) -> BigUint {
        a * b % &self.p
    }
    fn times(&self, k: u32, a: &BigUint) -> BigUint {
        a * k % &self.p
    }
}

/// A point in Jacobian coordinates (x = X/Z², y = Y/Z³); Z = 0 is the point at infinity.
#[derive(Clone)]
struct Point {
    x: BigUint,
    y: BigUint,
    z: BigUint,
}

impl Point {
    fn infinity() -> Self {
        Self {
            x: BigUint::from(1u32),
            y: BigUint::from(1u32),
            z: BigUint::ZERO,
        }
    }

    fn affine(x: BigUint, y: BigUint) -> Self {
        Self {
            x,
            y,
            z: BigUint::from(1u32),
        }
    }

    fn is_infinity(&self) -> bool {
        self.z == BigUint::ZERO
    }

    /// 2P for a = −3 (dbl-2001-b).
    fn double(&self, f: &Field) -> Self {
        if self.is_infinity() || self.y == BigUint::ZERO {
            return Self::infinity();
        }
        let delta = f.mul(&self.z, &self.z);
        let gamma = f.mul(&self.y, &self.y);
        let beta = f.mul(&self.x, &gamma);
        let alpha = f.times(3, &f.mul(&f.sub(&self.x, &delta), &f.add(&self.x, &delta)));
        let x = f.sub(&f.mul(&alpha, &alpha), &f.times(8, &beta));
        let yz = f.add(&self.y, &self.z);
        let z = f.sub(&f.sub(&f.mul(&yz, &yz), &gamma), &delta);
        let y = f.sub(
            &f.mul(&alpha, &f.sub(&f.times(4, &beta), &x)),
            &f.times(8, &f.mul(&gamma, &gamma)),
        );
        Self { x, y, z }
    }

    /// P + Q (add-2007-bl), doubling when they are the same point.
    fn add(&self, other: &Self, f: &Field) -> Self {
        if self.is_infinity() {
            return other.clone();
        }
        if other.is_infinity() {
            return self.clone();
        }
        let z1z1 = f.mul(&self.z, &self.z);
        let z2z2 = f.mul(&other.z, &other.z);
        let u1 = f.mul(&self.x, &z2z2);
        let u2 = f.mul(&other.x, &z1z1);
        let s1 = f.mul(&f.mul(&self.y, &other.z), &z2z2);
        let s2 = f.mul(&f.mul(&other.y, &self.z), &z1z1);
        let h = f.sub(&u2, &u1);
        let r = f.times(2, &f.sub(&s2, &s1));
        if h == BigUint::ZERO {
            return if r == BigUint::ZERO {
                self.double(f)
            } else {
                Self::infinity()
            };
        }
        let i = {
            let h2 = f.times(2, &h);
            f.mul(&h2, &h2)
        };
        let j = f.mul(&h, &i);
        let v = f.mul(&u1, &i);
        let x = f.sub(&f.sub(&f.mul(&r, &r), &j), &f.times(2, &v));
        let y = f.sub(&f.mul(&r, &f.sub(&v, &x)), &f.times(2, &f.mul(&s1, &j)));
        let zs = f.add(&self.z, &other.z);
        let z = f.mul(&f.sub(&f.sub(&f.mul(&zs, &zs), &z1z1), &z2z2), &h);
        Self { x, y, z }
    }

    /// The affine x coordinate; `None` at infinity.
    fn x_affine(&self, f: &Field) -> Option<BigUint> {
        let z_inv = self.z.modinv(&f.p)?;
        Some(f.mul(&self.x, &f.mul(&z_inv, &z_inv)))
    }
}

/// u1·G + u2·Q, one doubling per bit for both (Shamir's trick).
fn combination(u1: &BigUint, g: &Point, u2: &BigUint, q: &Point, f: &Field) -> Point {
    let both = g.add(q, f);
    let bits = u1.bits().max(u2.bits());
    let mut acc = Point::infinity();
    for i in (0..bits).rev() {
        acc = acc.double(f);
        match (u1.bit(i), u2.bit(i)) {
            (true, true) => acc = acc.add(&both, f),
            (true, false) => acc = acc.add(g, f),
            (false, true) => acc = acc.add(q, f),
            (false, false) => {}
        }
    }
    acc
}

/// Whether (`x`, `y`) is a point of P-521 (y² = x³ − 3x + b mod p): a key that is not
/// checks nothing.
pub fn on_curve(x: &[u8], y: &[u8]) -> Result<(), String> {
    let f = Field {
        p: (BigUint::from(1u32) << 521u32) - 1u32,
    };
    let (qx, qy) = (BigUint::from_bytes_be(x), BigUint::from_bytes_be(y));
    let rhs = f.add(
        &f.sub(&f.mul(&f.mul(&qx, &qx), &qx), &f.times(3, &qx)),
        &hex(B),
    );
    if qx >= f.p || qy >= f.p || f.mul(&qy, &qy) != rhs {
        return Err("the P-521 key is not a point of the curve".into());
    }
    Ok(())
}

/// Whether `signature` (r ‖ s, 66 bytes each) is an ES512 signature of `message` by the
/// public key (`x`, `y`), each coordinate big-endian (up to 66 bytes).
pub fn verify(x: &[u8], y: &[u8], message: &[u8], signature: &[u8]) -> bool {
    if signature.len() != 2 * SIZE || x.len() > SIZE || y.len() > SIZE {
        return false;
    }
    let f = Field {
        p: (BigUint::from(1u32) << 521u32) - 1u32,
    };
    let n = hex(N);
    if on_curve(x, y).is_err() {
        return false;
    }
    let (qx, qy) = (BigUint::from_bytes_be(x), BigUint::from_bytes_be(y));
    let r = BigUint::from_bytes_be(&signature[..SIZE]);
    let s = BigUint::from_bytes_be(&signature[SIZE..]);
    let in_range = |v: &BigUint| *v != BigUint::ZERO && *v < n;
    if !in_range(&r) || !in_range(&s) {
        return false;
    }
    // SHA-512's 512 bits are fewer than n's 521: the whole digest is e.
    let e = BigUint::from_bytes_be(&Sha512::digest(message));
    let Some(w) = s.modinv(&n) else {
        return false;
    };
    let u1 = e * &w % &n;
    let u2 = &r * &w % &n;
    let g = Point::affine(hex(GX), hex(GY));
    let q = Point::affine(qx, qy);
    match combination(&u1, &g, &u2, &q, &f).x_affine(&f) {
        Some(x) => x % &n == r,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(text: &str) -> Vec<u8> {
        hex(text).to_bytes_be()
    }

    // Made by OpenSSL 3.0: `openssl ecparam -name secp521r1 -genkey`, then
    // `openssl dgst -sha512 -sign` of MESSAGE, its DER signature as r ‖ s.
    const X: &str = "019df8aadc00ad1c4a736be53f8c313aab654e3c455ba8b7d5d724367024c88da79d070e962d99f04db5ff8fbd14b0252dad3e6719d4483aca549afe33ab019916b0";
    const Y: &str = "01dfd64f526e232fc635df7e0d3e937a4649e6f9a19a9a20c16c6c5b6dbdb12b76b41bbbbfbeaf49cf5a080221e931be163943b075976a2eda90ba807cdeac4fe51d";
    const SIG: &str = "008c68356eee1f55513637a3d406c8133cc447083d50b073a0509a8d83278c9ad02f74f6cf5e843a0af2bce3c538fe629f58f191bad538559b642fc58e9900dd071601c8e7ebc683ef6a1d64198fa05cdb1182fd50ff33858abc4ed2fa4f43087fdacd504e0136a11989c05ff7e2f78af20d5bd3c9159031f984b48c65529cf8391fba36";
    const MESSAGE: &[u8] = b"tokdeck ES512 test vector";

    fn signature() -> Vec<u8> {
        (0..SIG.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&SIG[i..i + 2], 16).ok())
            .collect()
    }

    #[test]
    fn an_openssl_signature_verifies_and_any_change_breaks_it() {
        let (x, y, sig) = (bytes(X), bytes(Y), signature());
        assert_eq!(sig.len(), 2 * SIZE);
        assert!(verify(&x, &y, MESSAGE, &sig));
        assert!(!verify(&x, &y, b"tokdeck ES512 test vectoR", &sig));
        let mut flipped = sig.clone();
        flipped[100] ^= 1;
        assert!(!verify(&x, &y, MESSAGE, &flipped));
        // Another point of the curve (the generator) is another key.
        assert!(!verify(&bytes(GX), &bytes(GY), MESSAGE, &sig));
    }

    #[test]
    fn a_key_off_the_curve_or_a_signature_out_of_range_is_refused() {
        let (x, sig) = (bytes(X), signature());
        let mut y = bytes(Y);
        let last = y.len() - 1;
        y[last] ^= 1;
        assert!(!verify(&x, &y, MESSAGE, &sig));
        let zero_r = [vec![0; SIZE], sig[SIZE..].to_vec()].concat();
        assert!(!verify(&x, &bytes(Y), MESSAGE, &zero_r));
        let n_as_s = [sig[..SIZE].to_vec(), bytes(N)].concat();
        assert!(!verify(&x, &bytes(Y), MESSAGE, &n_as_s));
    }

    #[test]
    fn the_generator_is_on_the_curve_and_n_times_it_is_infinity() {
        let f = Field {
            p: (BigUint::from(1u32) << 521u32) - 1u32,
        };
        let g = Point::affine(hex(GX), hex(GY));
        let n = hex(N);
        let zero = BigUint::ZERO;
        let ng = combination(&n, &g, &zero, &Point::infinity(), &f);
        assert!(ng.is_infinity());
        let one = combination(&BigUint::from(1u32), &g, &zero, &Point::infinity(), &f);
        assert_eq!(one.x_affine(&f), Some(hex(GX)));
    }
}
