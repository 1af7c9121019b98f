// Sessions: hello, Origin, per-IP limits, keepalive and the idle timeout, and
// every kind of bad input answered without affecting other sessions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, pair, sleep, startTurnpike } from './harness.mjs';

describe('hello and admission', () => {
  let server;
  before(async () => {
    server = await startTurnpike({ signal: { 'max-sessions-per-ip': 3 } });
  });
  after(() => server.stop());

  test('hello carries the protocol version, a session id and the limits', async () => {
    const client = await Client.connect(server.url);
    const hello = await client.next('hello');
    assert.equal(hello.version, 1);
    assert.match(hello.id, /^[0-9a-f]{16}$/);
    assert.equal(hello.limits.maxFrameBytes, 65536);
    assert.equal(hello.limits.chatMaxChars, 500);
    assert.equal(hello.privacy, false);
    const other = await Client.connect(server.url);
    assert.notEqual((await other.next('hello')).id, hello.id);
    await client.close();
    await other.close();
  });

  test('an Origin from another site is refused with 403; the same host is accepted', async () => {
    await assert.rejects(Client.connect(server.url, { origin: 'https://evil.example' }),
      (e) => e.status === 403);
    const same = await Client.connect(server.url, { origin: `http://127.0.0.1:${server.signalPort}` });
    await same.next('hello');
    await same.close();
    const stats = await server.signalStats();
    assert.ok(stats.rejected_origin >= 1);
  });

  test('a fourth session from one IP gets 429 while three are open; other IPs are not affected', async () => {
    const held = [];
    for (let i = 0; i < 3; ++i) held.push(await Client.connect(server.url, { localAddress: '127.0.0.9' }));
    await assert.rejects(Client.connect(server.url, { localAddress: '127.0.0.9' }), (e) => e.status === 429);
    const elsewhere = await Client.connect(server.url, { localAddress: '127.0.0.10' });
    await elsewhere.next('hello');
    await held[0].close();
    await sleep(100);
    const again = await Client.connect(server.url, { localAddress: '127.0.0.9' });
    await again.next('hello');
    for (const c of [...held.slice(1), elsewhere, again]) await c.close();
  });
});

describe('allowed-origins', () => {
  let server;
  before(async () => {
    server = await startTurnpike({ signal: { 'allowed-origins': 'https://chat.example.com' } });
  });
  after(() => server.stop());

  test('only the listed origins may connect', async () => {
    const ok = await Client.connect(server.url, { origin: 'https://chat.example.com' });
    await ok.next('hello');
    await ok.close();
    await assert.rejects(Client.connect(server.url, { origin: `http://127.0.0.1:${server.signalPort}` }),
      (e) => e.status === 403);
  });
});

describe('keepalive', () => {
  let server;
  before(async () => {
    server = await startTurnpike({ signal: { 'ping-interval': 1, 'idle-timeout': 3 } });
  });
  after(() => server.stop());

  test('a client that answers pings stays; one that does not is closed and its partner told', async () => {
    const { a, b } = await pair(server.url);
    // `autoPong: false`: b's socket stays open but looks dead to the server.
    const dead = await Client.connect(server.url, { localAddress: '127.0.0.4', autoPong: false });
    const deadHello = await dead.next('hello');
    assert.ok(deadHello.id);
    const started = Date.now();
    const closed = await dead.closed;
    const elapsed = Date.now() - started;
    assert.equal(closed.code, 4000);
    assert.ok(elapsed >= 2500 && elapsed < 6000, `closed after ${elapsed} ms`);
    // a and b answered every ping over the same time and are still paired.
    a.send({ type: 'chat', text: 'still here' });
    assert.equal((await b.next('chat')).text, 'still here');
    await a.close();
    await b.close();
  });

  test('a dead partner frees the pair within the timeout', async () => {
    const { a, b } = await pair(server.url, { addresses: ['127.0.0.5', '127.0.0.6'] });
    b.ws.pause(); // b neither reads nor answers pings from now on
    const left = await a.next('partner_left', 6000);
    assert.equal(left.reason, 'disconnected');
    const stats = await server.signalStats();
    assert.ok(stats.closed_idle >= 1);
    await a.close();
    b.ws.terminate();
  });
});

describe('bad input', () => {
  let server;
  before(async () => {
    server = await startTurnpike();
  });
  after(() => server.stop());

  async function errorFor(frame) {
    const client = await Client.connect(server.url, { localAddress: '127.0.0.20' });
    await client.next('hello');
    client.send(frame);
    const error = await client.next('error');
    await client.close();
    return error;
  }

  test('each malformed frame gets an error with a code, and the session lives on', async () => {
    assert.equal((await errorFor('not json')).code, 'bad_json');
    assert.equal((await errorFor('[1,2,3]')).code, 'bad_json');
    assert.equal((await errorFor('"find"')).code, 'bad_json');
    assert.equal((await errorFor('{"type":"find","mode":"text"')).code, 'bad_json');
    assert.equal((await errorFor('{}')).code, 'unknown_type');
    assert.equal((await errorFor('{"type":42}')).code, 'unknown_type');
    assert.equal((await errorFor('{"type":"teleport"}')).code, 'unknown_type');
    assert.equal((await errorFor('{"type":"find"}')).code, 'bad_field');
    assert.equal((await errorFor('{"type":"find","mode":"audio"}')).code, 'bad_field');
    assert.equal((await errorFor('{"type":"find","mode":"text","interests":"music"}')).code, 'bad_field');
    assert.equal((await errorFor('{"type":"find","mode":"text","interests":[1]}')).code, 'bad_field');
    assert.equal((await errorFor('{"type":"find","mode":"text","lang":"<script>"}')).code, 'bad_field');
    assert.equal((await errorFor('{"type":"signal","data":{}}')).code, 'no_partner');
    assert.equal((await errorFor('{"type":"chat","text":"hi"}')).code, 'no_partner');
    assert.equal((await errorFor('{"type":"block"}')).code, 'no_partner');
    assert.equal((await errorFor('{"type":"report","reason":"x"}')).code, 'no_partner');
    assert.equal((await errorFor('{"type":"next"}')).code, 'bad_state');
    assert.equal((await errorFor('{"type":"stats","path":"p2p"}')).code, 'bad_state');
    assert.equal((await errorFor('{"type":"stats","path":"carrier-pigeon"}')).code, 'bad_field');
    assert.equal((await errorFor('{"type":"media"}')).code, 'bad_field');
    const deep = '['.repeat(20000) + ']'.repeat(20000);
    assert.equal((await errorFor(deep)).code, 'bad_json');
  });

  test('a binary frame gets binary_frame and the session goes on', async () => {
    const client = await Client.connect(server.url, { localAddress: '127.0.0.21' });
    await client.next('hello');
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await client.next('error')).code, 'binary_frame');
    client.send({ type: 'find', mode: 'text' });
    await client.next('waiting');
    await client.close();
  });

  test('a frame over 64 KiB closes the socket with 1009; 64 KiB exactly does not', async () => {
    const client = await Client.connect(server.url, { localAddress: '127.0.0.22' });
    await client.next('hello');
    const body = '{"type":"chat","text":"';
    client.send(body + 'x'.repeat(65536 - body.length - 2) + '"}');
    assert.equal((await client.next('error')).code, 'no_partner');
    const before = await server.signalStats();
    client.send(body + 'x'.repeat(65536) + '"}');
    const closed = await client.closed;
    // The server sends close 1009 and stops reading at the oversized header; the
    // rest of the frame still in flight makes the kernel reset the
    // connection, which can overtake the close frame: 1006 on this side.
    assert.ok([1009, 1006].includes(closed.code), `closed with ${closed.code}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = await server.signalStats();
    assert.equal(after.sessions_open, before.sessions_open - 1);
  });

  test('a flood of frames closes only the flooder with 1008; a pair next to it is unaffected', async () => {
    const { a, b } = await pair(server.url, { addresses: ['127.0.0.23', '127.0.0.24'] });
    const flooder = await Client.connect(server.url, { localAddress: '127.0.0.25' });
    await flooder.next('hello');
    for (let i = 0; i < 1000; ++i) flooder.send({ type: 'typing' });
    const closed = await flooder.closed;
    assert.equal(closed.code, 1008);
    a.send({ type: 'chat', text: 'unaffected' });
    assert.equal((await b.next('chat')).text, 'unaffected');
    const stats = await server.signalStats();
    assert.ok(stats.closed_flood >= 1);
    await a.close();
    await b.close();
  });

  test('the server is still healthy: a new pair forms', async () => {
    const { ma, mb } = await pair(server.url, { addresses: ['127.0.0.26', '127.0.0.27'] });
    assert.notEqual(ma.role, mb.role);
  });
});

describe('trusted proxies', () => {
  let server;
  before(async () => {
    server = await startTurnpike({ signal: { 'trusted-proxies': '127.0.7.1', 'max-sessions-per-ip': 2 } });
  });
  after(() => server.stop());

  const via = (localAddress, forwarded) =>
    Client.connect(server.url, { localAddress, headers: { 'X-Forwarded-For': forwarded } });

  test('behind a trusted proxy the client is the last untrusted X-Forwarded-For address', async () => {
    const held = [await via('127.0.7.1', '203.0.113.9'), await via('127.0.7.1', '203.0.113.9')];
    await assert.rejects(via('127.0.7.1', '203.0.113.9'), (e) => e.status === 429);
    // What the client wrote itself before the proxy's entry proves nothing.
    await assert.rejects(via('127.0.7.1', '198.51.100.1, 203.0.113.9'), (e) => e.status === 429);
    const other = await via('127.0.7.1', '203.0.113.10');
    // From an address that is not a trusted proxy, the header is ignored.
    const direct = await via('127.0.7.2', '203.0.113.9');
    for (const c of [...held, other, direct]) await c.close();
  });

  test('IPv6 clients count by their /64: one host cannot pick a fresh address per session', async () => {
    const held = [await via('127.0.7.1', '2001:db8:1:2::1'), await via('127.0.7.1', '2001:db8:1:2:a:b:c:d')];
    await assert.rejects(via('127.0.7.1', '2001:db8:1:2:ffff::9'), (e) => e.status === 429);
    const nextNetwork = await via('127.0.7.1', '2001:db8:1:3::1');
    for (const c of [...held, nextNetwork]) await c.close();
  });

  test('a block by IP holds against another address in the blocked IPv6 client’s /64', async () => {
    const client = async (address) => {
      const c = await via('127.0.7.1', address);
      await c.next('hello');
      return c;
    };
    const a = await client('2001:db8:a::1');
    const b = await client('2001:db8:b::1');
    a.send({ type: 'find', mode: 'text' });
    b.send({ type: 'find', mode: 'text' });
    await a.next('matched');
    await b.next('matched');
    a.send({ type: 'block' });
    await b.next('partner_left');
    await b.close();
    // A new session from another address of b's /64: still kept from a.
    const b2 = await client('2001:db8:b::2');
    b2.send({ type: 'find', mode: 'text' });
    await b2.next('waiting');
    a.send({ type: 'find', mode: 'text' });
    assert.deepEqual(await a.none('matched', 500), []);
    assert.deepEqual(await b2.none('matched', 0), []);
    // a is really looking: with b2 gone, somebody from elsewhere gets it.
    await b2.close();
    const c = await client('2001:db8:c::1');
    c.send({ type: 'find', mode: 'text' });
    const [matchedA, matchedC] = await Promise.all([a.next('matched'), c.next('matched')]);
    assert.ok(matchedA && matchedC);
    for (const x of [a, c]) await x.close();
  });
});
