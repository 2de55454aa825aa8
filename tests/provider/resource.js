#!/usr/bin/env node
// A resource server for tokdeck's tests: accepts a request only with an access token of
// the test provider, and, for a DPoP-bound token, only with a valid proof (RFC 9449 §7):
// signature by the embedded key, typ, htm, htu, iat, ath, a jti not seen before, and the
// key's thumbprint equal to the token's cnf.jkt. Bound to 127.0.0.1.
//
// Usage: node resource.js ISSUER
// stdout: `READY http://127.0.0.1:<port>`; each request: 200 {"sub", "jkt"} or
// 401 {"error"} with the reason. Exits on stdin EOF.

import * as crypto from 'node:crypto';
import * as http from 'node:http';
import {
  calculateJwkThumbprint, createRemoteJWKSet, EmbeddedJWK, jwtVerify,
} from 'jose';

const issuer = process.argv[2];
if (!issuer) {
  process.stderr.write('usage: node resource.js ISSUER\n');
  process.exit(2);
}
const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
const seen = new Set();

async function check(req, origin) {
  const [scheme, token] = (req.headers.authorization || '').split(' ');
  if (!token) throw new Error('no access token');
  const { payload: claims } = await jwtVerify(token, jwks, { issuer });
  const jkt = claims.cnf?.jkt;
  if (scheme === 'Bearer') {
    if (jkt) throw new Error('a DPoP-bound token presented as a bearer token');
    return { sub: claims.sub };
  }
  if (scheme !== 'DPoP') throw new Error(`unknown scheme ${scheme}`);
  const proof = req.headers.dpop;
  if (!proof) throw new Error('no DPoP proof');
  const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
  if (payload.htm !== req.method) throw new Error(`htm ${payload.htm} is not ${req.method}`);
  const url = new URL(req.url, origin);
  url.search = '';
  if (payload.htu !== url.href) throw new Error(`htu ${payload.htu} is not ${url.href}`);
  if (Math.abs(Date.now() / 1000 - payload.iat) > 60) throw new Error('iat too far off');
  const ath = crypto.createHash('sha256').update(token).digest('base64url');
  if (payload.ath !== ath) throw new Error('ath does not match the token');
  if (seen.has(payload.jti)) throw new Error('proof replayed');
  seen.add(payload.jti);
  const thumbprint = await calculateJwkThumbprint(protectedHeader.jwk);
  if (thumbprint !== jkt) throw new Error('the proof key is not the key the token is bound to');
  return { sub: claims.sub, jkt };
}

const server = http.createServer((req, res) => {
  const origin = `http://${req.headers.host}`;
  check(req, origin).then((body) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }, (err) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: err.message }));
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY http://127.0.0.1:${server.address().port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
