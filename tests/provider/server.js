#!/usr/bin/env node
// tokdeck test OpenID Provider: a real, certified authorization server
// (oidc-provider) bound to 127.0.0.1 only, for integration tests.
//
// Usage: node server.js [--port N] [--access-ttl S] [--id-ttl S]
//          [--refresh-ttl S] [--device-ttl S] [--device-interval S]
//          [--no-rotate] [--keys FILE] [--select-account] [--ignore-stdin]
//          [--registration] [--verbose]
//
// --registration: dynamic client registration (RFC 7591, open: no initial access
// token) and its management (RFC 7592), as MCP servers' authorization servers offer.
// Resources on 127.0.0.1 (a test's own resource server, any port) are APIs too,
// with the scope api:read.
//
// --select-account: `prompt=select_account` is a known prompt value (listed in
// discovery's prompt_values_supported); asking for it shows the login form
// even when the browser has a session, so the user can pick another account.
//
// stdout: exactly one line, `READY http://127.0.0.1:<port>`, once listening.
// stderr: one line per request (`<METHOD> <path> -> <status>`, no query
//         strings, never tokens), plus provider error events.
// Exits on stdin EOF/close (unless --ignore-stdin), SIGTERM and SIGINT.
// SIGUSR1 stops listening (an outage; state is kept), SIGUSR2 listens again.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';

// ---------------------------------------------------------------------------
// stdout is reserved for the READY line. oidc-provider prints its NOTICEs with
// console.info (stdout), so route every console method to stderr, and drop
// the known development-mode warnings this harness triggers on purpose.
// ---------------------------------------------------------------------------
const VERBOSE = process.argv.includes('--verbose');
const BENIGN = [
  'Unsupported runtime', // oidc-provider 9 prefers Node 22+, works on 20.19+
  'devInteractions is enabled', // the built-in login/consent pages: wanted here
  'in-memory adapter is used', // wanted here: every run starts empty
  'function called, you SHOULD change it', // default device-flow pages etc.
];
// A parent that stops reading our pipes must not crash us.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});
function logLine(line) {
  try {
    process.stderr.write(`${line}\n`);
  } catch {
    // ignore
  }
}
function toStderr(...args) {
  const line = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  // eslint-disable-next-line no-control-regex
  const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
  if (!VERBOSE && plain.startsWith('oidc-provider ') && BENIGN.some((b) => plain.includes(b))) {
    return;
  }
  logLine(plain);
}
console.log = toStderr;
console.info = toStderr;
console.warn = toStderr;
console.debug = toStderr;
console.error = toStderr;

// Imported only now so that its import-time warning goes through the above.
const {
  default: Provider, errors, interactionPolicy,
} = await import('oidc-provider');

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------
function usage(msg) {
  if (msg) logLine(`server.js: ${msg}`);
  process.stderr.write(
    'usage: node server.js [--port N] [--access-ttl S] [--id-ttl S] [--refresh-ttl S]\n'
    + '                      [--device-ttl S] [--device-interval S] [--no-rotate]\n'
    + '                      [--keys JWKS_FILE] [--client-jwks JWKS_FILE] [--select-account]\n'
    + '                      [--ignore-stdin] [--verbose]\n',
  );
  process.exit(2);
}

const opts = {
  port: 0,
  accessTtl: 300,
  idTtl: 300,
  refreshTtl: 86400,
  deviceTtl: 600,
  deviceInterval: undefined,
  rotate: true,
  keys: undefined,
  watchStdin: true,
  selectAccount: false,
  registration: false,
};

{
  const argv = process.argv.slice(2);
  const intArg = (name, v) => {
    if (v === undefined || !/^\d+$/.test(v)) usage(`${name} needs a non-negative integer`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    let name = a;
    let value;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq !== -1) {
      name = a.slice(0, eq);
      value = a.slice(eq + 1);
    }
    const next = () => (value !== undefined ? value : argv[++i]); // eslint-disable-line no-plusplus
    switch (name) {
      case '--port': opts.port = intArg(name, next()); break;
      case '--access-ttl': opts.accessTtl = intArg(name, next()); break;
      case '--id-ttl': opts.idTtl = intArg(name, next()); break;
      case '--refresh-ttl': opts.refreshTtl = intArg(name, next()); break;
      case '--device-ttl': opts.deviceTtl = intArg(name, next()); break;
      case '--device-interval': opts.deviceInterval = intArg(name, next()); break;
      case '--no-rotate': opts.rotate = false; break;
      case '--keys': opts.keys = next(); if (!opts.keys) usage('--keys needs a file'); break;
      case '--ignore-stdin': opts.watchStdin = false; break;
      case '--select-account': opts.selectAccount = true; break;
      case '--registration': opts.registration = true; break;
      case '--client-jwks': opts.clientJwks = next(); if (!opts.clientJwks) usage('--client-jwks needs a file'); break;
      case '--verbose': break;
      case '-h': case '--help': usage(); break; // exits 2
      default: usage(`unknown argument ${a}`);
    }
  }
  if (opts.port > 65535) usage('--port out of range');
  for (const k of ['accessTtl', 'idTtl', 'refreshTtl', 'deviceTtl']) {
    if (opts[k] < 1) usage('TTLs must be >= 1 second');
  }
}

// ---------------------------------------------------------------------------
// Lifecycle: die with the test process.
// ---------------------------------------------------------------------------
let server;
function shutdown(code = 0) {
  if (server) server.closeAllConnections?.();
  process.exit(code);
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.on('SIGHUP', () => shutdown(0));
if (opts.watchStdin) {
  process.stdin.on('end', () => shutdown(0));
  process.stdin.on('close', () => shutdown(0));
  process.stdin.on('error', () => shutdown(0));
  process.stdin.on('data', () => {}); // drain whatever the parent writes
  process.stdin.resume();
}

// ---------------------------------------------------------------------------
// Signing keys
// ---------------------------------------------------------------------------
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/// The claims of a JWT this server signed (RS256 or ES256), for `issuer`, not expired.
function verifyJwt(token, issuer) {
  const parts = String(token).split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url'));
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url'));
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    if (!jwk) return null;
    const { d, p, q, dp, dq, qi, ...pub } = jwk; // eslint-disable-line no-unused-vars
    const key = crypto.createPublicKey({ key: pub, format: 'jwk' });
    const ok = crypto.verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), header.alg === 'ES256'
      ? { key, dsaEncoding: 'ieee-p1363' } : key, Buffer.from(parts[2], 'base64url'));
    if (!ok || claims.iss !== issuer || !(claims.exp > Date.now() / 1000)) return null;
    return claims;
  } catch {
    return null;
  }
}

function generateKeys() {
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const suffix = crypto.randomBytes(4).toString('hex');
  return {
    keys: [
      // The first key of a kty is the default for that kty; RS256 is the
      // default id_token / JWT access token algorithm.
      {
        ...rsa.privateKey.export({ format: 'jwk' }), kid: `rs256-${suffix}`, alg: 'RS256', use: 'sig',
      },
      {
        ...ec.privateKey.export({ format: 'jwk' }), kid: `es256-${suffix}`, alg: 'ES256', use: 'sig',
      },
    ],
  };
}

let jwks;
if (opts.keys) {
  try {
    jwks = JSON.parse(fs.readFileSync(opts.keys, 'utf8'));
  } catch (err) {
    usage(`cannot read JWKS from ${opts.keys}: ${err.message}`);
  }
  if (!jwks || !Array.isArray(jwks.keys) || jwks.keys.length === 0) usage(`${opts.keys} is not a JWKS with keys`);
} else {
  jwks = generateKeys();
}

// ---------------------------------------------------------------------------
// Accounts: any login name is accepted, any password.
// ---------------------------------------------------------------------------
function account(sub) {
  return {
    accountId: sub,
    async claims(_use, _scope, _claims, _rejected) {
      const given = sub.charAt(0).toUpperCase() + sub.slice(1);
      return {
        sub,
        name: `${given} Example`,
        given_name: given,
        family_name: 'Example',
        preferred_username: sub,
        email: `${sub}@example.test`,
        email_verified: true,
        updated_at: 1700000000,
      };
    },
  };
}

// ---------------------------------------------------------------------------
// Interaction policy: the library's, plus (with --select-account) a requestable
// select_account prompt that is answered by the login form.
// ---------------------------------------------------------------------------
function policy() {
  const { base, Prompt, Check } = interactionPolicy;
  const prompts = base();
  if (!opts.selectAccount) return prompts;
  const chooser = new Prompt({ name: 'select_account', requestable: true });
  chooser.checks.clear(); // never an interaction of its own: the login form is the chooser
  prompts.add(chooser);
  prompts.get('login').checks.add(new Check(
    'select_account_requested',
    'the client asked for the account chooser',
    (ctx) => ctx.oidc.prompts.has('select_account') && !ctx.oidc.result?.login,
  ));
  return prompts;
}

// ---------------------------------------------------------------------------
// Provider configuration
// ---------------------------------------------------------------------------
const API_RESOURCE = 'https://api.tokdeck.test';
const API_SCOPE = 'api:read api:write';
// A second API, for tokens per API (RFC 8707): its own audience and scope.
const REPORTS_RESOURCE = 'https://reports.tokdeck.test';
const RESOURCE_SCOPES = { [API_RESOURCE]: API_SCOPE, [REPORTS_RESOURCE]: 'reports:read' };
const DPOP_NONCE_CLIENT = 'tokdeck-dpop-nonce';
const USER_GRANTS = ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'];

function configuration() {
  return {
    clients: [
      {
        client_id: 'tokdeck-public',
        client_name: 'tokdeck (public)',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: USER_GRANTS,
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
      },
      {
        client_id: 'tokdeck-confidential',
        client_secret: 'tokdeck-confidential-secret',
        client_name: 'tokdeck (confidential)',
        // native so that the loopback redirect URI accepts any port
        application_type: 'native',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [...USER_GRANTS, TOKEN_EXCHANGE],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
      },
      {
        // RFC 9126: this client's authorization requests must be pushed.
        client_id: 'tokdeck-par',
        client_name: 'tokdeck (pushed authorization requests)',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: USER_GRANTS,
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
        require_pushed_authorization_requests: true,
      },
      {
        // RFC 9449: this client's access tokens must be DPoP-bound.
        client_id: 'tokdeck-dpop',
        client_name: 'tokdeck (DPoP)',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: USER_GRANTS,
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
        dpop_bound_access_tokens: true,
      },
      {
        // RFC 9449 §8: every DPoP proof of this client must carry the server's nonce.
        client_id: DPOP_NONCE_CLIENT,
        client_name: 'tokdeck (DPoP with nonces)',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: USER_GRANTS,
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
      },
      {
        // RFC 7523 client authentication with an HS256 assertion over the secret.
        client_id: 'tokdeck-jwt-secret',
        client_secret: 'tokdeck-jwt-secret-secret-of-at-least-32-bytes',
        token_endpoint_auth_method: 'client_secret_jwt',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      // RFC 7523 with the test's own key pair (--client-jwks: its public JWKS).
      ...(opts.clientJwks ? [{
        client_id: 'tokdeck-key',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: JSON.parse(fs.readFileSync(opts.clientJwks, 'utf8')),
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      }] : []),
      {
        client_id: 'tokdeck-service',
        client_secret: 'tokdeck-service-secret',
        client_name: 'tokdeck (service)',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks,
    findAccount: async (_ctx, sub) => account(sub),
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username', 'updated_at'],
      email: ['email', 'email_verified'],
    },
    scopes: ['openid', 'profile', 'email', 'offline_access', 'api:read', 'api:write', 'reports:read'],
    // PKCE is required for the public client (token_endpoint_auth_method
    // none) by default; S256 only.
    interactions: { policy: policy() },
    // The profile and email claims go into the ID token too (as Google, Entra and
    // Keycloak do), not only to userinfo.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
      registration: { enabled: opts.registration },
      registrationManagement: { enabled: opts.registration, rotateRegistrationAccessToken: false },
      // RFC 9449. Proofs are optional unless the client says so; replays are refused.
      dPoP: {
        enabled: true,
        nonceSecret: crypto.randomBytes(32),
        requireNonce: (ctx) => ctx.oidc?.client?.clientId === DPOP_NONCE_CLIENT,
      },
      resourceIndicators: {
        enabled: true,
        // Every access token is for the API (and therefore a JWT) unless the
        // client explicitly asks for another (unknown → invalid_target).
        // With several granted (a login that asked for more APIs), the first API's.
        defaultResource: async (_ctx, _client, oneOf) => {
          if (Array.isArray(oneOf)) return oneOf.includes(API_RESOURCE) ? API_RESOURCE : oneOf[0];
          return oneOf ?? API_RESOURCE;
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          const loopbackApi = opts.registration && /^http:\/\/127\.0\.0\.1:\d+\//.test(resourceIndicator);
          const scope = loopbackApi ? 'api:read' : RESOURCE_SCOPES[resourceIndicator];
          if (!scope) throw new errors.InvalidTarget();
          return {
            scope,
            audience: resourceIndicator,
            accessTokenFormat: 'jwt',
            accessTokenTTL: opts.accessTtl,
          };
        },
      },
    },
    // Refresh tokens: issued whenever the client may use refresh_token and
    // offline_access ended up in the granted scope (same as the default, made
    // explicit).
    issueRefreshToken: async (_ctx, client, code) => (
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access')
    ),
    rotateRefreshToken: opts.rotate,
    extraTokenClaims: async (ctx) => (ctx?.tokdeckActor ? { act: ctx.tokdeckActor } : undefined),
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? opts.accessTtl,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? opts.accessTtl,
      AuthorizationCode: 60,
      IdToken: opts.idTtl,
      RefreshToken: opts.refreshTtl,
      DeviceCode: opts.deviceTtl,
      Interaction: 3600,
      // Sessions and grants outlive any refresh token chain a test makes, so
      // --refresh-ttl alone decides when a refresh token stops working.
      Session: Math.max(opts.refreshTtl * 10, 14 * 24 * 3600),
      Grant: Math.max(opts.refreshTtl * 10, 14 * 24 * 3600),
    },
    // Cookie signing keys, fresh at each start.
    cookies: {
      keys: [crypto.randomBytes(32).toString('base64url')],
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      ctx.body = `<!DOCTYPE html><html><head><title>oops! something went wrong</title></head><body>
<h1>oops! something went wrong</h1>
${Object.entries(out).map(([k, v]) => `<pre><strong>${esc(k)}</strong>: ${esc(v)}</pre>`).join('\n')}
</body></html>`;
    },
  };
}

// ---------------------------------------------------------------------------
// Start: listen first (to learn the port), then build the Provider.
// ---------------------------------------------------------------------------
let callback = (_req, res) => {
  res.statusCode = 503;
  res.end('starting');
};

server = http.createServer((req, res) => {
  const path = (req.url || '').split('?')[0];
  res.on('close', () => {
    logLine(`${req.method} ${path} -> ${res.statusCode}`);
  });
  callback(req, res);
});

server.on('error', (error) => {
  logLine(`server.js: ${error.message}`);
  process.exit(1);
});

server.listen(opts.port, '127.0.0.1', async () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  try {
    const provider = new Provider(issuer, configuration());
    // Plain http on loopback: no proxy headers to trust.
    provider.proxy = false;

    // Log error events (error code + description, never token values) and
    // grant revocations, one line each, just before the line of the request
    // they belong to (request lines are written when the response closes).
    const emit = provider.emit.bind(provider);
    provider.emit = (event, ...args) => {
      if (event === 'server_error' || event.endsWith('.error')) {
        const err = args.find((a) => a instanceof Error) || {};
        const desc = err.error_description ? ` (${err.error_description})` : '';
        const detail = err.error_detail ? ` [${err.error_detail}]` : '';
        const msg = event === 'server_error' ? ` ${err.stack || err.message}` : '';
        logLine(`  ${event}: ${err.error || err.name}${desc}${detail}${msg}`);
      } else if (event === 'grant.revoked') {
        logLine('  grant.revoked');
      }
      return emit(event, ...args);
    };

    // RFC 8693 token exchange, which oidc-provider has no grant for: registered with
    // its documented registerGrantType. The subject token is checked for real (a JWT
    // access token signed by this provider, for this issuer, not expired); the new
    // token is a JWT for the asked audience.
    provider.registerGrantType(TOKEN_EXCHANGE, async (ctx) => {
      const { params, client } = ctx.oidc;
      if (params.subject_token_type !== 'urn:ietf:params:oauth:token-type:access_token') {
        throw new errors.InvalidRequest('subject_token_type must be urn:ietf:params:oauth:token-type:access_token');
      }
      if (!params.audience) throw new errors.InvalidRequest('audience is required');
      const subject = verifyJwt(params.subject_token, issuer);
      if (!subject) throw new errors.InvalidGrant('the subject_token is not a valid access token of this server');
      // Delegation (RFC 8693 §4.1): a valid actor token of this server makes `act`
      // (through extraTokenClaims, which decides the claims a token gets).
      if (params.actor_token) {
        if (params.actor_token_type !== 'urn:ietf:params:oauth:token-type:access_token') {
          throw new errors.InvalidRequest('actor_token_type must be urn:ietf:params:oauth:token-type:access_token');
        }
        const actor = verifyJwt(params.actor_token, issuer);
        if (!actor) throw new errors.InvalidGrant('the actor_token is not a valid access token of this server');
        ctx.tokdeckActor = { sub: actor.sub };
      }
      const token = new provider.ClientCredentials({ client, scope: subject.scope });
      token.resourceServer = {
        audience: params.audience, accessTokenFormat: 'jwt', scope: subject.scope ?? '', accessTokenTTL: opts.accessTtl,
      };
      const value = await token.save();
      ctx.body = {
        access_token: value,
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: token.expiration,
        ...(subject.scope ? { scope: subject.scope } : {}),
      };
    }, ['subject_token', 'subject_token_type', 'audience', 'requested_token_type', 'actor_token', 'actor_token_type']);

    // oidc-provider never sends `interval` in the device authorization
    // response (RFC 8628 clients then default to 5 s). --device-interval adds
    // one, so tests can poll faster. The provider never answers slow_down.
    if (opts.deviceInterval !== undefined) {
      provider.use(async (ctx, next) => {
        await next();
        if (ctx.oidc?.route === 'device_authorization' && ctx.status === 200
          && ctx.body && typeof ctx.body === 'object') {
          ctx.body = { ...ctx.body, interval: opts.deviceInterval };
        }
      });
    }

    // oidc-provider does not publish prompt_values_supported; with
    // --select-account the discovery document lists the prompts it knows.
    if (opts.selectAccount) {
      provider.use(async (ctx, next) => {
        await next();
        if (ctx.oidc?.route === 'discovery' && ctx.body && typeof ctx.body === 'object') {
          ctx.body = { ...ctx.body, prompt_values_supported: ['none', 'login', 'consent', 'select_account'] };
        }
      });
    }

    callback = provider.callback();

    // Simulated outage for offline tests: SIGUSR1 stops listening (connections are
    // refused, state is kept), SIGUSR2 listens again on the same port.
    process.on('SIGUSR1', () => {
      server.close();
      server.closeAllConnections?.();
      logLine('server.js: offline (SIGUSR1)');
    });
    process.on('SIGUSR2', () => {
      server.listen(port, '127.0.0.1', () => logLine('server.js: online again (SIGUSR2)'));
    });

    process.stdout.write(`READY ${issuer}\n`);
  } catch (err) {
    logLine(`server.js: failed to start provider: ${err.stack || err}`);
    process.exit(1);
  }
});
