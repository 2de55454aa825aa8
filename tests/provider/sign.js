#!/usr/bin/env node
// Makes keys and signed JWTs for tokdeck's verification tests, with node:crypto (an
// implementation independent of tokdeck's ring-based verifier).
//
// Usage: node sign.js [CLAIMS_JSON]
// Prints one JSON object: { jwks, tokens: { ALG: jwt }, foreign, risky: { NAME: jwt } }.
// `foreign` is signed by a key that is not in `jwks` (with a kid that is not either).
import * as crypto from 'node:crypto';

const claims = JSON.parse(process.argv[2] || '{"iss":"https://idp.test","sub":"alice","aud":"api"}');
const b64 = (buf) => Buffer.from(buf).toString('base64url');
const enc = (obj) => b64(JSON.stringify(obj));

const specs = {
  RS256: ['rsa', { modulusLength: 2048 }, 'sha256', {}],
  RS384: ['rsa', { modulusLength: 2048 }, 'sha384', {}],
  RS512: ['rsa', { modulusLength: 3072 }, 'sha512', {}],
  PS256: ['rsa', { modulusLength: 2048 }, 'sha256', { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }],
  PS384: ['rsa', { modulusLength: 2048 }, 'sha384', { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }],
  PS512: ['rsa', { modulusLength: 2048 }, 'sha512', { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 }],
  ES256: ['ec', { namedCurve: 'P-256' }, 'sha256', { dsaEncoding: 'ieee-p1363' }],
  ES384: ['ec', { namedCurve: 'P-384' }, 'sha384', { dsaEncoding: 'ieee-p1363' }],
  EdDSA: ['ed25519', {}, null, {}],
};

function sign(alg, privateKey, hash, options, header, body) {
  const input = `${enc(header)}.${enc(body)}`;
  const key = { key: privateKey, ...options };
  const sig = hash ? crypto.sign(hash, Buffer.from(input), key) : crypto.sign(null, Buffer.from(input), privateKey);
  return `${input}.${b64(sig)}`;
}

const jwks = { keys: [] };
const tokens = {};
const keys = {};
for (const [alg, [type, params, hash, options]] of Object.entries(specs)) {
  const { publicKey, privateKey } = crypto.generateKeyPairSync(type, params);
  const kid = `test-${alg.toLowerCase()}`;
  jwks.keys.push({ ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg });
  keys[alg] = { privateKey, hash, options, kid };
  tokens[alg] = sign(alg, privateKey, hash, options, { alg, kid, typ: 'JWT' }, claims);
}

const stranger = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const foreign = sign('RS256', stranger.privateKey, 'sha256', {}, { alg: 'RS256', kid: 'not-in-jwks' }, claims);

const rs = keys.RS256;
const signed = (header) => sign('RS256', rs.privateKey, rs.hash, rs.options, { alg: 'RS256', kid: rs.kid, ...header }, claims);
const risky = {
  jku: signed({ jku: 'https://attacker.example/jwks.json' }),
  x5u: signed({ x5u: 'https://attacker.example/cert.pem' }),
  jwk: signed({ jwk: stranger.publicKey.export({ format: 'jwk' }) }),
  crit: signed({ crit: ['exp-ext'], 'exp-ext': true }),
  hs256: `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}.${b64(crypto.createHmac('sha256', 'public-key-as-secret').update('x').digest())}`,
  none: `${enc({ alg: 'none' })}.${enc(claims)}.`,
};

process.stdout.write(`${JSON.stringify({ jwks, tokens, foreign, risky })}\n`);
