// Matching through the real server: roles, modes, languages, interests,
// next, block, and no double match when 500 clients arrive at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, pair, startTurnpike } from './harness.mjs';

let server;
before(async () => {
  server = await startTurnpike({ matcher: { 'interest-wait-ms': 400 } });
});
after(() => server.stop());

let nextAddress = 2;
// Each client gets its own loopback address: blocks also act between IPs.
async function connect() {
  const n = nextAddress++;
  const client = await Client.connect(server.url, { localAddress: `127.0.${n >> 8}.${n & 255}` });
  client.id = (await client.next('hello')).id;
  return client;
}

// Two fresh clients, paired in text mode.
async function matchedPair() {
  const a = await connect();
  const b = await connect();
  a.send({ type: 'find', mode: 'text' });
  b.send({ type: 'find', mode: 'text' });
  await a.next('matched');
  await b.next('matched');
  return [a, b];
}

async function closeAll(...clients) {
  await Promise.all(clients.map((c) => c.close()));
}

describe('pairing', () => {
  test('two finders are matched: one impolite initiator, one polite, each with TURN credentials', async () => {
    const a = await connect();
    const b = await connect();
    a.send({ type: 'find', mode: 'video' });
    await a.next('waiting');
    b.send({ type: 'find', mode: 'video' });
    const ma = await a.next('matched');
    const mb = await b.next('matched');
    assert.deepEqual([ma.role, mb.role].sort(), ['impolite', 'polite']);
    assert.equal(ma.initiator, ma.role === 'impolite');
    assert.equal(mb.initiator, mb.role === 'impolite');
    // a waited longer, so a initiates.
    assert.equal(ma.role, 'impolite');
    for (const [m, client] of [[ma, a], [mb, b]]) {
      const stun = m.iceServers.find((s) => s.urls.some((u) => u.startsWith('stun:')));
      const turn = m.iceServers.find((s) => s.urls.some((u) => u.startsWith('turn:')));
      assert.deepEqual(stun.urls, [`stun:127.0.0.1:${server.relayPort}`]);
      assert.deepEqual(turn.urls, [`turn:127.0.0.1:${server.relayPort}?transport=udp`,
        `turn:127.0.0.1:${server.relayPort}?transport=tcp`]);
      const [expiry, id] = turn.username.split(':');
      assert.equal(id, client.id);
      const ttl = Number(expiry) - Date.now() / 1000;
      assert.ok(ttl > 3500 && ttl <= 3601, `credential ttl ${ttl}`);
      assert.match(turn.credential, /^[A-Za-z0-9+/]{27}=$/);
      assert.equal(m.iceTransportPolicy, 'all');
      assert.deepEqual(m.common, []);
    }
    await closeAll(a, b);
  });

  test('text and video seekers are never paired, nor different languages', async () => {
    const text = await connect();
    const video = await connect();
    text.send({ type: 'find', mode: 'text' });
    video.send({ type: 'find', mode: 'video' });
    assert.deepEqual(await text.none('matched', 500), []);
    assert.deepEqual(await video.none('matched', 0), []);
    await closeAll(text, video);
    const fr = await connect();
    const ja = await connect();
    fr.send({ type: 'find', mode: 'text', lang: 'fr' });
    ja.send({ type: 'find', mode: 'text', lang: 'JA' });
    assert.deepEqual(await fr.none('matched', 500), []);
    assert.deepEqual(await ja.none('matched', 0), []);
    const any = await connect();
    any.send({ type: 'find', mode: 'text' }); // no language: matches every language
    await any.next('matched');
    const frMatched = (await fr.none('matched', 200)).length;
    const jaMatched = (await ja.none('matched', 0)).length;
    assert.equal(frMatched + jaMatched, 1);
    await closeAll(fr, ja, any);
  });

  test('a common interest is preferred during interest-wait-ms, then anyone; common lists what they share', async () => {
    const music = await connect();
    const sports = await connect();
    music.send({ type: 'find', mode: 'text', interests: ['Music', 'cats'] });
    sports.send({ type: 'find', mode: 'text', interests: ['sports'] });
    await music.next('waiting');
    await sports.next('waiting');
    const fan = await connect();
    fan.send({ type: 'find', mode: 'text', interests: ['  music ', 'cats', 'dogs'] });
    const m1 = await music.next('matched');
    const m2 = await fan.next('matched');
    assert.deepEqual(m1.common, ['cats', 'music']);
    assert.deepEqual(m2.common, ['cats', 'music']);
    // sports waits out its interest wait (400 ms), then takes anyone.
    const anyone = await connect();
    anyone.send({ type: 'find', mode: 'text', interests: ['chess'] });
    const started = Date.now();
    const m3 = await sports.next('matched', 3000);
    assert.ok(Date.now() - started >= 150, 'paired before the interest wait ran out');
    assert.deepEqual(m3.common, []);
    await anyone.next('matched');
    await closeAll(music, sports, fan, anyone);
  });

  test('next ends the pair, tells the partner, re-queues, and never pairs the two straight back', async () => {
    const [a, b] = await matchedPair();
    a.send({ type: 'next' });
    assert.equal((await b.next('partner_left')).reason, 'next');
    await a.next('waiting');
    b.send({ type: 'find', mode: 'text' });
    await b.next('waiting');
    assert.deepEqual(await a.none('matched', 400), []);
    const c = await connect();
    c.send({ type: 'find', mode: 'text' });
    await c.next('matched');
    const got = await Promise.race([a.next('matched').then(() => 'a'), b.next('matched').then(() => 'b')]);
    assert.ok(got === 'a' || got === 'b');
    await closeAll(a, b, c);
  });

  test('block ends the pair and keeps the two apart, by session and by IP', async () => {
    const [a, b] = await matchedPair();
    a.send({ type: 'block' });
    assert.equal((await b.next('partner_left')).reason, 'left');
    // Both look again, each with somebody else in between so "just left" no longer applies.
    const c = await connect();
    const d = await connect();
    a.send({ type: 'find', mode: 'text' });
    c.send({ type: 'find', mode: 'text' });
    await a.next('matched');
    b.send({ type: 'find', mode: 'text' });
    d.send({ type: 'find', mode: 'text' });
    await b.next('matched');
    a.send({ type: 'next' });
    b.send({ type: 'next' });
    assert.deepEqual(await a.none('matched', 500), []);
    // b reconnects as a new session from the same IP: still blocked.
    const bAddress = b.ws._socket.localAddress;
    await b.close();
    const b2 = await Client.connect(server.url, { localAddress: bAddress });
    await b2.next('hello');
    b2.send({ type: 'find', mode: 'text' });
    assert.deepEqual(await a.none('matched', 500), []);
    const stats = await server.signalStats();
    assert.ok(stats.blocks >= 1);
    await closeAll(a, c, d, b2);
  });

  test('leave and a dropped connection take a seeker out of the queue at once', async () => {
    const a = await connect();
    a.send({ type: 'find', mode: 'text' });
    await a.next('waiting');
    a.send({ type: 'leave' });
    const gone = await connect();
    gone.send({ type: 'find', mode: 'text' });
    await gone.next('waiting');
    gone.ws.terminate();
    const b = await connect();
    b.send({ type: 'find', mode: 'text' });
    assert.deepEqual(await b.none('matched', 400), []);
    assert.deepEqual(await a.none('matched', 0), []);
    await closeAll(a, b);
  });

  test('500 clients finding at once: every one matched exactly once, in 250 symmetric pairs', async () => {
    const clients = await Promise.all(Array.from({ length: 500 }, () => connect()));
    const matched = clients.map((c) => c.next('matched', 10000));
    for (const c of clients) c.send({ type: 'find', mode: 'text' });
    const results = await Promise.all(matched);
    assert.equal(results.filter((m) => m.role === 'impolite').length, 250);
    // Each says its id to its partner: the messages must form a perfect matching.
    for (const c of clients) c.send({ type: 'chat', text: c.id });
    const partnerOf = new Map();
    await Promise.all(clients.map(async (c) => { partnerOf.set(c.id, (await c.next('chat')).text); }));
    for (const c of clients) {
      const partner = partnerOf.get(c.id);
      assert.notEqual(partner, c.id);
      assert.equal(partnerOf.get(partner), c.id);
    }
    for (const c of clients) assert.deepEqual(await c.none('matched', 0), []);
    const stats = await server.signalStats();
    assert.equal(stats.sessions_paired, 500);
    await closeAll(...clients);
  });
});
