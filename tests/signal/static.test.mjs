// The signal listener's static files over real HTTP: the chat page, its
// headers and caching, other methods, and the ways out of the web root that
// must stay shut (raw request lines, so no client normalises them first).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startTurnpike } from './harness.mjs';

let server;
let base;
let root;

before(async () => {
  base = mkdtempSync(path.join(os.tmpdir(), 'turnpike-web-'));
  root = path.join(base, 'web');
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  writeFileSync(path.join(base, 'secret.txt'), 'TOP-SECRET');
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><p>page</p>');
  writeFileSync(path.join(root, 'app.js'), 'export const x = 1;\n');
  writeFileSync(path.join(root, 'sub', 'style.css'), 'p { color: red }\n');
  writeFileSync(path.join(root, '.env'), 'TOP-SECRET');
  symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'leak.txt'));
  symlinkSync(base, path.join(root, 'up'));
  server = await startTurnpike({ signal: { 'web-root': root } });
});

after(async () => {
  await server?.stop();
  rmSync(base, { recursive: true, force: true });
});

// One raw HTTP/1.1 exchange; resolves to {status, headers, body}.
function raw(request) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.signalPort, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => { data += chunk; });
    socket.on('error', reject);
    socket.on('end', () => {
      const split = data.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = data.slice(0, split).split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => {
        const colon = l.indexOf(':');
        return [l.slice(0, colon).toLowerCase(), l.slice(colon + 1).trim()];
      }));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: data.slice(split + 4) });
    });
  });
}

const get = (target, extra = '', method = 'GET') =>
  raw(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.signalPort}\r\n${extra}\r\n`);

test('/ serves index.html with its type, length and security headers', async () => {
  const { status, headers, body } = await get('/');
  assert.equal(status, 200);
  assert.equal(body, '<!doctype html><p>page</p>');
  assert.equal(headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(headers['content-length'], String(body.length));
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'no-referrer');
  assert.match(headers['permissions-policy'], /camera=\(self\), microphone=\(self\)/);
  const csp = headers['content-security-policy'];
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${server.signalPort} wss://127\\.0\\.0\\.1:${server.signalPort};`));
  assert.match(csp, /media-src 'self' blob:/);
  assert.equal(headers['cache-control'], 'no-cache');
  assert.ok(headers.etag && headers['last-modified']);
  assert.equal(headers.connection, 'close');
});

test('types by extension, query strings ignored, folders below the root', async () => {
  const js = await get('/app.js?v=3');
  assert.equal(js.status, 200);
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.headers['access-control-allow-origin'], '*');  // importable by other sites
  const css = await get('/sub/style.css');
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  assert.equal(css.body, 'p { color: red }\n');
});

test('HEAD has the headers and no body', async () => {
  const { status, headers, body } = await get('/app.js', '', 'HEAD');
  assert.equal(status, 200);
  assert.equal(headers['content-length'], '20');
  assert.equal(body, '');
});

test('If-None-Match and If-Modified-Since answer 304', async () => {
  const first = await get('/app.js');
  const tagged = await get('/app.js', `If-None-Match: ${first.headers.etag}\r\n`);
  assert.equal(tagged.status, 304);
  assert.equal(tagged.body, '');
  assert.equal(tagged.headers.etag, first.headers.etag);
  const dated = await get('/app.js', `If-Modified-Since: ${first.headers['last-modified']}\r\n`);
  assert.equal(dated.status, 304);
  const old = await get('/app.js', 'If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT\r\n');
  assert.equal(old.status, 200);
  const other = await get('/app.js', 'If-None-Match: "nope"\r\n');
  assert.equal(other.status, 200);
});

test('other methods get 405 with Allow', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
    const { status, headers } = await get('/', 'Content-Length: 0\r\n', method);
    assert.equal(status, 405, method);
    assert.equal(headers.allow, 'GET, HEAD');
  }
});

test('nothing outside the root, nor links or dot files, is served', async () => {
  for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt',
    '/sub/..%2f..%2fsecret.txt', '/sub/%2e%2e/%2e%2e/secret.txt', '/..%5csecret.txt',
    '/%c0%ae%c0%ae/secret.txt', '/leak.txt', '/up/secret.txt', '/.env', '/index.html%00.js',
    '/missing.html', '/sub']) {
    const { status, body } = await get(target);
    assert.equal(status, 404, target);
    assert.equal(body.includes('TOP-SECRET'), false, target);
  }
});

test('/ws is still the WebSocket: a plain GET there gets 426', async () => {
  const { status } = await get('/ws');
  assert.equal(status, 426);
});

test('an empty web-root serves the default page (the source tree web/ when not installed)', async () => {
  const fallback = await startTurnpike();
  try {
    await fallback.waitForLog(/serving the chat page from (\S+)/);
    const served = fallback.log.match(/serving the chat page from (\S+)/)[1];
    const response = await fetch(`http://127.0.0.1:${fallback.signalPort}/`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), readFileSync(path.join(served, 'index.html'), 'utf8'));
    const lib = await fetch(`http://127.0.0.1:${fallback.signalPort}/turnpike.js`);
    assert.equal(lib.headers.get('content-type'), 'text/javascript; charset=utf-8');
  } finally {
    await fallback.stop();
  }
});

test('a configured web-root that does not exist stops the start', async () => {
  await assert.rejects(startTurnpike({ signal: { 'web-root': path.join(base, 'nowhere') } }),
    /cannot serve the web root/);
});
