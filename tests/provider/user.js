#!/usr/bin/env node
// Headless "user" with a web browser, for tokdeck integration tests.
//
// Usage: node user.js [--stop-at-redirect] URL
//   (tokdeck runs it as `$BROWSER URL`)
//
// Follows URL (fetch, redirect: 'manual', a cookie jar per host), and on
// every HTML page with a form fills it in and submits it: login = env
// TOKDECK_TEST_LOGIN (default alice), password = anything, hidden inputs kept,
// the approving submit button chosen. With TOKDECK_TEST_DENY=1 it denies at
// the consent page (follows its abort link) or at the device confirmation
// page (presses its abort button).
//
// With TOKDECK_TEST_JAR=FILE the cookie jar is read from and written back to
// FILE, so that one browser session (an SSO session at the provider) lasts
// across runs. A start URL on tokdeck's own loopback page (/end-session/...)
// redirects to the provider: the walk follows it there.
//
// Ends when:
//  - a redirect leaves the provider (authorization-code flow): the final URL
//    is GET once and its status and body are printed to stderr; exit 0.
//    With --stop-at-redirect the URL is printed to stdout instead (not fetched).
//  - the device flow success page is reached: exit 0.
//  - the sign-out success page of RP-initiated logout is reached: exit 0.
//  - (deny mode) the page after the denial is reached: exit 0.
//  - an error page, an unexpected response, or too many steps: exit 1.
// The text of the last page is printed to stderr in every case.

import * as fs from 'node:fs';

const LOGIN = process.env.TOKDECK_TEST_LOGIN || 'alice';
const PASSWORD = 'password';
const DENY = process.env.TOKDECK_TEST_DENY === '1';
const MAX_STEPS = 40;
const DENY_RE = /\b(abort|deny|cancel|reject|decline)\b/i;

function log(msg) {
  process.stderr.write(`user.js: ${msg}\n`);
}

function fail(msg, code = 1) {
  log(msg);
  process.exit(code);
}

// ---------------------------------------------------------------------------
// args
// ---------------------------------------------------------------------------
let stopAtRedirect = false;
let startUrl;
for (const a of process.argv.slice(2)) {
  if (a === '--stop-at-redirect') stopAtRedirect = true;
  else if (a === '-h' || a === '--help') fail('usage: node user.js [--stop-at-redirect] URL', 0);
  else if (a.startsWith('--')) fail(`unknown option ${a}\nusage: node user.js [--stop-at-redirect] URL`, 2);
  else if (startUrl === undefined) startUrl = a;
  else fail('usage: node user.js [--stop-at-redirect] URL', 2);
}
if (!startUrl) fail('usage: node user.js [--stop-at-redirect] URL', 2);

let start;
try {
  start = new URL(startUrl);
} catch {
  fail(`not a URL: ${startUrl}`, 2);
}
let providerOrigin = start.origin;
const viaTokdeckPage = start.pathname.startsWith('/end-session/');

// ---------------------------------------------------------------------------
// cookie jar: host -> Map("name path" -> {name, value, path})
// ---------------------------------------------------------------------------
const jar = new Map();
const JAR_FILE = process.env.TOKDECK_TEST_JAR;
if (JAR_FILE) {
  try {
    const saved = JSON.parse(fs.readFileSync(JAR_FILE, 'utf8'));
    for (const [host, cookies] of Object.entries(saved)) jar.set(host, new Map(Object.entries(cookies)));
  } catch {
    // a first run: no jar yet
  }
  process.on('exit', () => {
    const out = {};
    for (const [host, cookies] of jar) out[host] = Object.fromEntries(cookies);
    fs.writeFileSync(JAR_FILE, JSON.stringify(out));
  });
}

function storeCookies(url, response) {
  const lines = typeof response.headers.getSetCookie === 'function'
    ? response.headers.getSetCookie()
    : [response.headers.get('set-cookie')].filter(Boolean);
  for (const line of lines) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let path = '/';
    let expired = false;
    for (const attr of attrs) {
      const [k, ...v] = attr.split('=');
      const key = k.trim().toLowerCase();
      const val = v.join('=').trim();
      if (key === 'path' && val.startsWith('/')) path = val;
      if (key === 'max-age' && Number(val) <= 0) expired = true;
      if (key === 'expires' && Date.parse(val) <= Date.now()) expired = true;
    }
    const cookies = jar.get(url.host) || new Map();
    jar.set(url.host, cookies);
    const id = `${name} ${path}`;
    if (expired || value === '') cookies.delete(id);
    else cookies.set(id, { name, value, path });
  }
}

function pathMatches(cookiePath, requestPath) {
  if (cookiePath === requestPath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/';
}

function cookieHeader(url) {
  const cookies = jar.get(url.host);
  if (!cookies) return undefined;
  const matching = [...cookies.values()]
    .filter((c) => pathMatches(c.path, url.pathname))
    .sort((a, b) => b.path.length - a.path.length);
  if (matching.length === 0) return undefined;
  return matching.map((c) => `${c.name}=${c.value}`).join('; ');
}

// ---------------------------------------------------------------------------
// HTML helpers (regexes over the small, known pages oidc-provider renders)
// ---------------------------------------------------------------------------
function decodeEntities(s) {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&');
}

function parseAttrs(s) {
  const attrs = {};
  const re = /([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  let m;
  while ((m = re.exec(s)) !== null) {
    const value = m[2] ?? m[3] ?? m[4];
    attrs[m[1].toLowerCase()] = value === undefined ? '' : decodeEntities(value);
  }
  return attrs;
}

function pageText(html) {
  return decodeEntities(
    html
      .replace(/<(style|script|details)\b[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]+>/g, ' '),
  ).replace(/\s+/g, ' ').trim();
}

function pageTitle(html) {
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  return m ? pageText(m[1]) : '';
}

function parseButtons(html) {
  const buttons = [];
  const re = /<button\b([^>]*)>([\s\S]*?)<\/button>/gi;
  let m;
  while ((m = re.exec(html)) !== null) {
    const attrs = parseAttrs(m[1]);
    const type = (attrs.type || 'submit').toLowerCase();
    if (type !== 'submit') continue;
    buttons.push({ attrs, text: pageText(m[2]), index: m.index });
  }
  // <input type="submit"> counts as a button too
  const ire = /<input\b([^>]*)>/gi;
  while ((m = ire.exec(html)) !== null) {
    const attrs = parseAttrs(m[1]);
    if ((attrs.type || '').toLowerCase() === 'submit') {
      buttons.push({ attrs, text: attrs.value || '', index: m.index });
    }
  }
  return buttons;
}

function parseForms(html) {
  const forms = [];
  const re = /<form\b([^>]*)>([\s\S]*?)<\/form>/gi;
  let m;
  while ((m = re.exec(html)) !== null) {
    const attrs = parseAttrs(m[1]);
    const inner = m[2];
    const inputs = [];
    const ire = /<input\b([^>]*)>/gi;
    let im;
    while ((im = ire.exec(inner)) !== null) inputs.push(parseAttrs(im[1]));
    const buttons = parseButtons(inner);
    forms.push({
      attrs, inputs, buttons, start: m.index, end: m.index + m[0].length,
    });
  }
  // buttons outside a form but attached with form="id"
  const all = parseButtons(html);
  for (const b of all) {
    if (!b.attrs.form) continue;
    const form = forms.find((f) => f.attrs.id === b.attrs.form);
    if (form && !(b.index >= form.start && b.index < form.end)) form.buttons.push(b);
  }
  return forms;
}

function parseLinks(html) {
  const links = [];
  const re = /<a\b([^>]*)>([\s\S]*?)<\/a>/gi;
  let m;
  while ((m = re.exec(html)) !== null) {
    const attrs = parseAttrs(m[1]);
    if (attrs.href) links.push({ href: attrs.href, text: pageText(m[2]) });
  }
  return links;
}

function isDenyButton(b) {
  return DENY_RE.test(b.attrs.name || '') || DENY_RE.test(b.attrs.value || '') || DENY_RE.test(b.text);
}

// ---------------------------------------------------------------------------
// the walk
// ---------------------------------------------------------------------------
async function request(method, url, body) {
  const headers = {
    accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8',
    'user-agent': 'tokdeck-test-user/1.0',
  };
  const cookie = cookieHeader(url);
  if (cookie) headers.cookie = cookie;
  if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  log(`${method} ${url.origin}${url.pathname}`);
  const res = await fetch(url, {
    method, headers, body, redirect: 'manual',
  });
  storeCookies(url, res);
  return res;
}

async function finishAtRedirect(url) {
  const params = url.searchParams;
  if (params.get('error')) {
    log(`redirected back with error=${params.get('error')}${params.get('error_description') ? ` (${params.get('error_description')})` : ''}`);
  } else {
    log(`redirected back${params.has('code') ? ' with a code' : ''}`);
  }
  if (stopAtRedirect) {
    process.stdout.write(`${url.href}\n`);
    process.exit(0);
  }
  let res;
  try {
    res = await fetch(url, { redirect: 'manual', headers: { 'user-agent': 'tokdeck-test-user/1.0' } });
  } catch (err) {
    fail(`GET ${url.origin}${url.pathname} failed: ${err.cause?.message || err.message}`);
  }
  const body = await res.text();
  log(`final ${url.origin}${url.pathname} -> ${res.status}`);
  process.stderr.write(`${body}${body.endsWith('\n') ? '' : '\n'}`);
  process.exit(0);
}

async function main() {
  log(`start ${start.href}`);
  let method = 'GET';
  let url = start;
  let body;
  let denied = false;
  let submittedUserCode = false;

  for (let step = 0; step < MAX_STEPS; step += 1) {
    if (url.origin !== providerOrigin) {
      await finishAtRedirect(url);
      return;
    }

    let res;
    try {
      res = await request(method, url, body);
    } catch (err) {
      fail(`${method} ${url.href} failed: ${err.cause?.message || err.message}`);
    }

    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      await res.arrayBuffer();
      const next = new URL(res.headers.get('location'), url);
      if (viaTokdeckPage && url.origin === start.origin) providerOrigin = next.origin;
      url = next;
      method = 'GET';
      body = undefined;
      continue;
    }

    const type = res.headers.get('content-type') || '';
    const html = await res.text();
    log(`  -> ${res.status} ${type.split(';')[0]}`);
    if (!type.includes('html')) {
      fail(`unexpected ${res.status} response:\n${html}`);
    }

    const title = pageTitle(html);
    const text = pageText(html);

    if (/sign-out success/i.test(title)) {
      log(`signed out: ${text}`);
      process.exit(0);
    }
    if (/sign-in success/i.test(title)) {
      log(`device flow done: ${text}`);
      process.exit(0);
    }
    if (denied) {
      // the page shown after an abort in the device flow
      log(`denied; provider says: ${text}`);
      process.exit(0);
    }
    if (res.status >= 400 || /something went wrong/i.test(title) || /<p class="red">/i.test(html)) {
      fail(`error page (${res.status}): ${text}`);
    }

    const forms = parseForms(html);
    const links = parseLinks(html);
    const isConsent = forms.some((f) => f.inputs.some((i) => i.name === 'prompt' && i.value === 'consent'));
    const isDeviceConfirm = forms.some((f) => f.inputs.some((i) => i.name === 'confirm'));

    if (DENY && isConsent) {
      const abort = links.find((l) => /\/abort\b/.test(l.href) || DENY_RE.test(l.text));
      const form = forms.find((f) => f.buttons.some(isDenyButton));
      denied = true;
      if (abort) {
        log(`denying at consent: following "${abort.text}"`);
        url = new URL(abort.href, url);
        method = 'GET';
        body = undefined;
        continue;
      }
      if (!form) fail(`TOKDECK_TEST_DENY=1 but no way to deny on the consent page: ${text}`);
    }

    const form = forms[0];
    if (!form) {
      fail(`page without a form (${res.status}, "${title}"): ${text}`);
    }

    let button;
    if (DENY && (isConsent || isDeviceConfirm)) {
      button = form.buttons.find(isDenyButton);
      if (!button) fail(`TOKDECK_TEST_DENY=1 but no deny button on this page: ${text}`);
      denied = true;
      log(`denying: pressing "${button.text || button.attrs.value}"`);
    } else {
      button = form.buttons.find((b) => !isDenyButton(b));
    }

    const fields = new URLSearchParams();
    for (const input of form.inputs) {
      const { name } = input;
      const inputType = (input.type || 'text').toLowerCase();
      if (!name || inputType === 'submit' || inputType === 'button' || inputType === 'image' || inputType === 'reset') continue;
      if ((inputType === 'checkbox' || inputType === 'radio') && !('checked' in input)) continue;
      let value = input.value ?? '';
      if (name === 'login') value = LOGIN;
      else if (inputType === 'password' || name === 'password') value = PASSWORD;
      else if (name === 'user_code' && !value) {
        value = start.searchParams.get('user_code') || process.env.TOKDECK_TEST_USER_CODE || '';
      }
      fields.append(name, value);
    }
    if (button?.attrs.name) fields.append(button.attrs.name, button.attrs.value ?? '');

    if (form.inputs.some((i) => i.name === 'user_code') && !isDeviceConfirm) {
      if (submittedUserCode) fail(`user code form shown again: ${text}`);
      submittedUserCode = true;
      if (!fields.get('user_code')) fail('user code form without a code to enter');
    }

    const what = forms.length > 1 ? ` (first of ${forms.length} forms)` : '';
    log(`submitting "${title}" form${what}${button ? ` via "${button.text || button.attrs.value || 'submit'}"` : ''}`);
    method = (form.attrs.method || 'GET').toUpperCase();
    const action = new URL(form.attrs.action || url.href, url);
    if (method === 'GET') {
      action.search = fields.toString();
      body = undefined;
    } else {
      body = fields.toString();
    }
    url = action;
  }
  fail(`gave up after ${MAX_STEPS} steps`);
}

main().catch((err) => fail(err.stack || String(err)));
