// Two signal nodes sharing one real redis-server: strangers on different
// nodes are paired and talk as if on one node; a node killed mid-call and
// Redis going away are survived.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTurnpike, Client, sleep } from './harness.mjs';
import { Redis } from './redis.mjs';
import { HOST_CANDIDATE } from './fixtures.mjs';

const onRedis = (redis) => ({ matcher: { backend: 'redis', 'redis-url': redis.url } });

async function connect(node, localAddress = '127.0.0.2') {
  const client = await Client.connect(node.url, { localAddress });
  await client.next('hello');
  return client;
}

// a waits on its node, b finds on its own: they must be paired with each other.
async function crossPair(nodeA, nodeB) {
  const a = await connect(nodeA, '127.0.0.2');
  const b = await connect(nodeB, '127.0.0.3');
  a.send({ type: 'find', mode: 'text' });
  await a.next('waiting');
  b.send({ type: 'find', mode: 'text' });
  const ma = await a.next('matched', 5000);
  const mb = await b.next('matched', 5000);
  return { a, b, ma, mb };
}

describe('two nodes, one Redis', () => {
  let redis;
  let one;
  let two;
  before(async () => {
    redis = await Redis.start();
    one = await startTurnpike(onRedis(redis));
    two = await startTurnpike(onRedis(redis));
  });
  after(async () => {
    await one?.stop();
    await two?.stop();
    await redis?.stop();
  });

  test('clients on different nodes are paired and everything reaches the partner', async () => {
    const { a, b, ma, mb } = await crossPair(one, two);
    assert.notEqual(ma.initiator, mb.initiator, 'exactly one initiator');
    assert.equal(ma.role, 'impolite', 'the one who waited longer starts');
    assert.ok(ma.iceServers.length > 0 && mb.iceServers.length > 0);

    a.send({ type: 'chat', text: 'hello from node one' });
    assert.equal((await b.next('chat')).text, 'hello from node one');
    b.send({ type: 'chat', text: 'and back' });
    assert.equal((await a.next('chat')).text, 'and back');
    a.send({ type: 'typing', active: true });
    assert.equal((await b.next('typing')).active, true);
    b.send({ type: 'media', video: false, audio: true });
    assert.deepEqual(await a.next('media'), { type: 'media', video: false, audio: true });
    const candidate = { candidate: HOST_CANDIDATE, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'EsAw' };
    a.send({ type: 'signal', data: { candidate } });
    assert.equal((await b.next('signal')).data.candidate.candidate, HOST_CANDIDATE);

    // Order per pair is kept across the bus.
    for (let i = 0; i < 50; i++) a.send({ type: 'typing', active: i % 2 === 0 });
    for (let i = 0; i < 50; i++) assert.equal((await b.next('typing')).active, i % 2 === 0);

    b.send({ type: 'report', reason: 'testing reports across nodes' });
    await b.next('report_received');
    b.send({ type: 'next' });
    assert.equal((await a.next('partner_left', 5000)).reason, 'next');
    await b.next('waiting');
    a.send({ type: 'chat', text: 'anyone?' });
    assert.equal((await a.next('error')).code, 'no_partner');
    await a.close();
    await b.close();
  });

  test('block across nodes holds for a new session from the same address', async () => {
    const { a, b } = await crossPair(one, two);
    a.send({ type: 'block' });
    assert.equal((await b.next('partner_left', 5000)).reason, 'left');
    await a.close();
    await b.close();
    const again = await crossPairOrNot(one, two);
    assert.equal(again, null, 'the blocked addresses were paired again');
  });

  test('1,000 clients over two nodes joining at once: each matched once, pairs agree', async () => {
    const clients = [];
    for (let i = 0; i < 1000; i++) {
      const node = i % 2 === 0 ? one : two;
      clients.push(await Client.connect(node.url, { localAddress: `127.0.${10 + Math.floor(i / 250)}.${1 + (i % 250)}` }));
    }
    const ids = await Promise.all(clients.map(async (c) => (await c.next('hello')).id));
    for (const c of clients) c.send({ type: 'find', mode: 'video' });
    await Promise.all(clients.map((c) => c.next('matched', 20000)));
    // Each tells its partner who it is; the partner relation must be symmetric.
    clients.forEach((c, i) => c.send({ type: 'chat', text: ids[i] }));
    const partnerOf = new Map();
    await Promise.all(clients.map(async (c, i) => partnerOf.set(ids[i], (await c.next('chat', 10000)).text)));
    let crossNode = 0;
    for (const [i, id] of ids.entries()) {
      const partner = partnerOf.get(id);
      assert.notEqual(partner, id);
      assert.equal(partnerOf.get(partner), id, `${id} and ${partner} disagree`);
      if ((ids.indexOf(partner) % 2) !== (i % 2)) crossNode++;
    }
    assert.ok(crossNode > 0, 'no pair spanned the two nodes');
    for (const c of clients) assert.deepEqual(await c.none('matched', 0), []);
    await Promise.all(clients.map((c) => c.close()));
  });
});

async function crossPairOrNot(nodeA, nodeB) {
  const a = await connect(nodeA, '127.0.0.2');
  const b = await connect(nodeB, '127.0.0.3');
  a.send({ type: 'find', mode: 'text' });
  await a.next('waiting');
  b.send({ type: 'find', mode: 'text' });
  const matched = await b.none('matched', 1500);
  await a.close();
  await b.close();
  return matched.length ? matched[0] : null;
}

describe('failures', () => {
  test('a node killed mid-call: its partners elsewhere hear partner_left within 15 s', async () => {
    const redis = await Redis.start();
    const one = await startTurnpike(onRedis(redis));
    const two = await startTurnpike(onRedis(redis));
    try {
      const { b } = await crossPair(one, two);
      const waiter = await connect(one, '127.0.0.4');
      waiter.send({ type: 'find', mode: 'text' });
      await waiter.next('waiting');
      const killedAt = Date.now();
      one.child.kill('SIGKILL');
      await one.exited;
      assert.equal((await b.next('partner_left', 15000)).reason, 'disconnected');
      const took = Date.now() - killedAt;
      assert.ok(took < 15000, `took ${took} ms`);
      // The dead node's waiter is never matched.
      const c = await connect(two, '127.0.0.5');
      c.send({ type: 'find', mode: 'text' });
      await c.next('waiting');
      assert.deepEqual(await c.none('matched', 1000), []);
      await b.close();
      await c.close();
    } finally {
      await one.stop();
      await two.stop();
      await redis.stop();
    }
  });

  test('Redis stopped and started again: finds refused meanwhile, pairs on one node go on, then it recovers', async () => {
    const redis = await Redis.start();
    const one = await startTurnpike(onRedis(redis));
    const two = await startTurnpike(onRedis(redis));
    try {
      const a = await connect(one, '127.0.0.2');
      const b = await connect(one, '127.0.0.3');
      a.send({ type: 'find', mode: 'text' });
      await a.next('waiting');
      b.send({ type: 'find', mode: 'text' });
      await a.next('matched', 5000);
      await b.next('matched', 5000);

      await redis.stop();
      await one.waitForLog(/redis matcher: .* unreachable/, 5000);
      a.send({ type: 'chat', text: 'still here' });
      assert.equal((await b.next('chat')).text, 'still here');
      const c = await connect(one, '127.0.0.4');
      c.send({ type: 'find', mode: 'text' });
      const refused = await c.next('error');
      assert.equal(refused.code, 'unavailable');

      await redis.start();
      await one.waitForLog(/redis matcher: connected again/, 15000);
      await two.waitForLog(/redis matcher: connected again/, 15000);
      await sleep(300);
      const { a: x, b: y } = await crossPair(one, two);
      x.send({ type: 'chat', text: 'recovered' });
      assert.equal((await y.next('chat')).text, 'recovered');
      for (const client of [a, b, c, x, y]) await client.close();
    } finally {
      await one.stop();
      await two.stop();
      await redis.stop();
    }
  });
});
