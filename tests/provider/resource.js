#!/usr/bin/env node
// A resource server for tokdeck's tests: accepts a request only with an access token of
// the test provider, and, for a DPoP-bound token, only with a valid proof (RFC 9449 §7):
// signature by the embedded key, typ, htm, htu, iat, ath, a jti not seen before, and the
// key's thumbprint equal to the token's cnf.jkt. Bound to 127.0.0.1.
//
// Usage: node resource.js ISSUER [--metadata [--claim-resource URL] [--no-challenge]]
// stdout: `READY http://127.0.0.1:<port>`; each request: 200 {"sub", "jkt"} or
// 401 {"error"} with the reason. Exits on stdin EOF.
//
// --metadata: an API as MCP servers are (RFC 9728): its resource identifier is
// http://127.0.0.1:<port>/mcp, its metadata at /.well-known/oauth-protected-resource/mcp
// names ISSUER, a refusal carries `WWW-Authenticate: Bearer resource_metadata="…"`
// (unless --no-challenge), and only tokens whose audience is itself are taken.
// --claim-resource URL: the metadata names URL as its resource (a lie to refuse).

import * as crypto from 'node:crypto';
import * as http from 'node:http';
import {
  calculateJwkThumbprint, createRemoteJWKSet, EmbeddedJWK, jwtVerify,
} from 'jose';

const issuer = process.argv[2];
if (!issuer) {
  process.stderr.write('usage: node resource.js ISSUER [--metadata [--claim-resource URL] [--no-challenge]]\n');
  process.exit(2);
}
const flags = process.argv.slice(3);
const withMetadata = flags.includes('--metadata');
const challenge = !flags.includes('--no-challenge');
const claimed = flags.includes('--claim-resource') ? flags[flags.indexOf('--claim-resource') + 1] : undefined;
const METADATA_PATH = '/.well-known/oauth-protected-resource/mcp';
let self; // http://127.0.0.1:<port>
const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
const seen = new Set();

async function check(req, origin) {
  const [scheme, token] = (req.headers.authorization || '').split(' ');
  if (!token) throw new Error('no access token');
  const { payload: claims } = await jwtVerify(token, jwks, withMetadata ? { issuer, audience: `${self}/mcp` } : { issuer });
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
  if (withMetadata && req.url === METADATA_PATH) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      resource: claimed ?? `${self}/mcp`,
      authorization_servers: [issuer],
      scopes_supported: ['api:read'],
      bearer_methods_supported: ['header'],
      resource_name: 'tokdeck test API',
    }));
    return;
  }
  if (withMetadata && req.url.startsWith('/.well-known/')) {
    res.writeHead(404);
    res.end();
    return;
  }
  check(req, origin).then((body) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }, (err) => {
    const headers = { 'content-type': 'application/json' };
    if (withMetadata && challenge) {
      headers['www-authenticate'] = `Bearer resource_metadata="${self}${METADATA_PATH}", scope="api:read"`;
    }
    res.writeHead(401, headers);
    res.end(JSON.stringify({ error: err.message }));
  });
});
server.listen(0, '127.0.0.1', () => {
  self = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`READY ${self}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
