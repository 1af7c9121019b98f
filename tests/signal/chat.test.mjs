// Text chat: delivery to the partner as plain text, cleaning, the word
// filter, and the rate limit with growing time-outs, per session and per IP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, pair, sleep, startTurnpike } from './harness.mjs';

let server;
before(async () => {
  server = await startTurnpike({ signal: { 'chat-timeout': 1, 'chat-max-timeout': 4, 'chat-max-chars': 40 } });
});
after(() => server.stop());

let n = 10;
const addresses = () => [`127.0.2.${n++}`, `127.0.2.${n++}`];

describe('chat', () => {
  test('text goes to the partner as text: markup untouched, controls stripped, length cut', async () => {
    const { a, b } = await pair(server.url, { addresses: addresses() });
    a.send({ type: 'chat', text: '<img src=x onerror=alert(1)>' });
    assert.equal((await b.next('chat')).text, '<img src=x onerror=alert(1)>');
    a.send({ type: 'chat', text: 'he\u0001l\u0007lo\u202e there\u200b\n\n\n\nbye' });
    assert.equal((await b.next('chat')).text, 'hello there\n\nbye');
    // json-glib's strings end at NUL, so a frame with \u0000 in it is refused whole.
    a.send({ type: 'chat', text: 'cut\u0000short' });
    assert.equal((await a.next('error')).code, 'bad_json');
    a.send({ type: 'chat', text: 'é'.repeat(100) });
    assert.equal((await b.next('chat')).text, 'é'.repeat(40));
    b.send({ type: 'chat', text: 'and back 👋' });
    assert.equal((await a.next('chat')).text, 'and back 👋');
    a.send({ type: 'chat', text: '   ' });
    assert.equal((await a.next('error')).code, 'bad_field');
    a.send({ type: 'typing' });
    assert.equal((await b.next('typing')).active, true);
    a.send({ type: 'media', video: false, audio: true });
    assert.deepEqual(await b.next('media'), { type: 'media', video: false, audio: true });
    await Promise.all([a.close(), b.close()]);
  });

  test('filtered words are masked for the partner and the sender is warned', async () => {
    const { a, b } = await pair(server.url, { addresses: addresses() });
    a.send({ type: 'chat', text: 'you are a F.U.C.K.I.N.G idiot' });
    const got = (await b.next('chat')).text;
    assert.ok(!/f\.?u\.?c\.?k/i.test(got), got);
    assert.ok(got.startsWith('you are a ') && got.includes('*'), got);
    assert.equal((await a.next('warning')).code, 'filtered');
    a.send({ type: 'chat', text: 'a classic assessment in Scunthorpe' });
    assert.equal((await b.next('chat')).text, 'a classic assessment in Scunthorpe');
    assert.deepEqual(await a.none('warning', 200), []);
    await Promise.all([a.close(), b.close()]);
  });

  test('six messages in the window: the sixth starts a time-out that doubles, then a disconnect', async () => {
    const { a, b } = await pair(server.url, { addresses: addresses() });
    for (let i = 0; i < 5; ++i) a.send({ type: 'chat', text: `m${i}` });
    for (let i = 0; i < 5; ++i) assert.equal((await b.next('chat')).text, `m${i}`);
    a.send({ type: 'chat', text: 'one too many' });
    assert.equal((await a.next('error')).code, 'rate_limited');
    a.send({ type: 'chat', text: 'while muted' });
    const muted = await a.next('error');
    assert.equal(muted.code, 'muted');
    assert.deepEqual(await b.none('chat', 100), []);
    // Each further burst after the time-out is another violation; the
    // fourth disconnects (chat-timeout 1 s: 1, 2, 4 s).
    let closed = null;
    a.closed.then((c) => { closed = c; });
    for (let violation = 2; violation <= 4 && !closed; ++violation) {
      await sleep(Math.min(2 ** (violation - 2), 4) * 1000 + 150);
      for (let i = 0; i < 6; ++i) a.send({ type: 'chat', text: `burst ${violation}.${i}` });
      await sleep(200);
    }
    const result = await a.closed;
    assert.equal(result.code, 4001);
    assert.equal((await b.next('partner_left')).reason, 'disconnected');
    const stats = await server.signalStats();
    assert.ok(stats.chat_rate_limited >= 1);
    assert.ok(stats.closed_chat_abuse >= 1);
    await b.close();
  });

  test('the limit also holds per IP (4x the session burst), and its time-out follows the IP to a new session', async () => {
    const ip = `127.0.3.${n++}`;
    const pairs = [];
    for (let i = 0; i < 6; ++i) pairs.push(await pair(server.url, { addresses: [ip, `127.0.4.${n++}`] }));
    for (const p of pairs.slice(0, 4)) {
      for (let i = 0; i < 5; ++i) p.a.send({ type: 'chat', text: `z${i}` });
      for (let i = 0; i < 5; ++i) await p.b.next('chat');
    }
    pairs[4].a.send({ type: 'chat', text: 'the 21st from this IP' });
    assert.equal((await pairs[4].a.next('error')).code, 'rate_limited');
    pairs[5].a.send({ type: 'chat', text: 'a fresh session, same IP' });
    assert.equal((await pairs[5].a.next('error')).code, 'muted');
    assert.deepEqual(await pairs[5].b.none('chat', 100), []);
    for (const p of pairs) await Promise.all([p.a.close(), p.b.close()]);
  });

  test('report files the partner; stats counts the path once per pair', async () => {
    const { a, b } = await pair(server.url, { addresses: addresses() });
    b.send({ type: 'chat', text: 'something nasty' });
    await a.next('chat');
    const before = await server.signalStats();
    a.send({ type: 'report', reason: 'harassment' });
    await a.next('report_received');
    a.send({ type: 'stats', path: 'relay' });
    a.send({ type: 'stats', path: 'relay' });
    b.send({ type: 'stats', path: 'p2p' });
    a.send({ type: 'report', reason: '' });
    assert.equal((await a.next('error')).code, 'bad_field');
    const after = await server.signalStats();
    assert.equal(after.reports - before.reports, 1);
    assert.equal(after.path_relay - before.path_relay, 1);
    assert.equal(after.path_p2p - before.path_p2p, 1);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('word list reload', () => {
  test('SIGHUP loads a changed word list; a broken one is refused and the old list kept', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const dir = mkdtempSync(`${os.tmpdir()}/turnpike-words-`);
    const list = `${dir}/words.txt`;
    writeFileSync(list, '# test list\nfrobnicate\n');
    const own = await startTurnpike({ signal: { 'word-list': list } });
    try {
      const { a, b } = await pair(own.url, { addresses: ['127.0.5.1', '127.0.5.2'] });
      a.send({ type: 'chat', text: 'frobnicate wibble' });
      assert.equal((await b.next('chat')).text, '********** wibble');
      writeFileSync(list, 'wibble\n');
      let from = own.log.length;
      own.child.kill('SIGHUP');
      await own.waitForLog(/reload: applied/, 5000, from);
      a.send({ type: 'chat', text: 'frobnicate wibble' });
      assert.equal((await b.next('chat')).text, 'frobnicate ******');
      writeFileSync(list, Buffer.from([0x66, 0xff, 0x0a]));
      from = own.log.length;
      own.child.kill('SIGHUP');
      const refused = await own.waitForLog(/reload refused[^\n]*/, 5000, from);
      assert.match(refused[0], /turnpike\.conf: \[signal\] word-list: \S*words\.txt: line 1: not valid UTF-8/);
      a.send({ type: 'chat', text: 'frobnicate wibble' });
      assert.equal((await b.next('chat')).text, 'frobnicate ******');
      await Promise.all([a.close(), b.close()]);
    } finally {
      await own.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
