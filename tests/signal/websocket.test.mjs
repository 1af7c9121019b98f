// The WebSocket layer itself (src/signal/websocket_server.cpp) against RFC
// 6455, with `ws` for what a client library does and raw TCP for what no
// library would send.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client, pair, sleep, startTurnpike } from './harness.mjs';

let server;
before(async () => {
  server = await startTurnpike();
});
after(() => server.stop());

// Sends `request` on a raw socket; resolves to everything read until close or `ms`.
function raw(request, ms = 1500) {
  return new Promise((resolve) => {
    const socket = net.connect(server.signalPort, '127.0.0.1');
    let data = Buffer.alloc(0);
    const done = () => { socket.destroy(); resolve(data); };
    socket.on('data', (chunk) => { data = Buffer.concat([data, chunk]); });
    socket.on('close', done);
    socket.on('error', done);
    socket.on('connect', () => socket.write(request));
    setTimeout(done, ms);
  });
}

const upgrade = (path = '/ws', extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

describe('handshake', () => {
  test('the RFC 6455 sample key gets the sample accept value', async () => {
    const reply = (await raw(upgrade(), 300)).toString('latin1');
    assert.match(reply, /^HTTP\/1\.1 101 /);
    assert.match(reply, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
  });

  test('other paths get 404, a plain GET 426, garbage 400', async () => {
    assert.match((await raw(upgrade('/nope'))).toString(), /^HTTP\/1\.1 404 /);
    assert.match((await raw('GET /ws HTTP/1.1\r\nHost: x\r\n\r\n')).toString(), /^HTTP\/1\.1 426 /);
    assert.match((await raw('hello there\r\n\r\n')).toString(), /^HTTP\/1\.1 400 /);
    assert.match((await raw(upgrade('/ws', 'X-Big: ' + 'a'.repeat(9000) + '\r\n'))).toString(), /^HTTP\/1\.1 431 /);
  });

  test('a handshake that never finishes is dropped (slowloris)', async () => {
    const started = Date.now();
    const data = await raw('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n', 20000);
    assert.equal(data.length, 0);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 9000 && elapsed < 15000, `dropped after ${elapsed} ms`);
  });
});

describe('frames', () => {
  test('a message in fragments is reassembled; a client ping gets a pong', async () => {
    const { a, b } = await pair(server.url, { addresses: ['127.0.6.1', '127.0.6.2'] });
    a.ws.send('{"type":"chat",', { fin: false });
    a.ws.send('"text":"in three ', { fin: false });
    a.ws.send('parts"}', { fin: true });
    assert.equal((await b.next('chat')).text, 'in three parts');
    const pong = new Promise((resolve) => a.ws.once('pong', (data) => resolve(data.toString())));
    a.ws.ping('are you there');
    assert.equal(await pong, 'are you there');
    await Promise.all([a.close(), b.close()]);
  });

  test('an unmasked frame is a protocol error (1002); invalid UTF-8 text closes with 1007', async () => {
    const unmasked = Buffer.concat([Buffer.from(upgrade()), Buffer.from([0x81, 0x02, 0x7b, 0x7d])]);
    const reply = await raw(unmasked, 1000);
    const frame = reply.subarray(reply.indexOf('\r\n\r\n') + 4);
    // Skip the hello text frame (over 125 bytes: a 16-bit length), then the
    // close frame with 1002.
    assert.equal(frame[1], 126);
    const close = frame.subarray(4 + frame.readUInt16BE(2));
    assert.equal(close[0], 0x88);
    assert.equal(close.readUInt16BE(2), 1002);

    const client = await Client.connect(server.url, { localAddress: '127.0.6.3' });
    await client.next('hello');
    client.ws._sender.sendFrame(
      (await import('ws')).Sender.frame(Buffer.from([0xc3, 0x28]), { fin: true, opcode: 1, mask: true, readOnly: false, rsv1: false }),
      () => {});
    const closed = await client.closed;
    assert.equal(closed.code, 1007);
  });

  test('the close handshake: the server echoes the client code and frees the session', async () => {
    const before = await server.signalStats();
    const client = await Client.connect(server.url, { localAddress: '127.0.6.4' });
    await client.next('hello');
    client.ws.close(4321, 'bye');
    const closed = await client.closed;
    assert.equal(closed.code, 4321);
    await sleep(100);
    const after = await server.signalStats();
    assert.equal(after.sessions_open, before.sessions_open);
  });

  test('a client that never reads is dropped once 4 MiB wait for it; its partner is told', async () => {
    const { a, b } = await pair(server.url, { addresses: ['127.0.6.5', '127.0.6.6'] });
    b.ws._socket.pause(); // b stops reading at the TCP level
    const text = 'x'.repeat(400);
    const left = a.next('partner_left', 60000);
    // Offers padded to about 62 KB each, well inside the flood limit's burst:
    // 4 MiB queue up for b after the kernel's socket buffers fill.
    const { offer } = await import('./fixtures.mjs');
    const sdp = offer() + ('a=x-pad:' + text + '\r\n').repeat(140);
    for (let i = 0; i < 200 && a.queue.every((m) => m.type !== 'partner_left'); ++i) {
      a.send({ type: 'signal', data: { description: { type: 'offer', sdp } } });
      await sleep(5);
    }
    assert.equal((await left).reason, 'disconnected');
    await a.close();
    b.ws.terminate();
  });
});

describe('out of file descriptors', () => {
  test('the server neither spins nor stops: waiting clients get in once others leave', async () => {
    const { readFileSync } = await import('node:fs');
    const small = await startTurnpike({}, { fdLimit: 64 });
    const cpu = () => {
      const fields = readFileSync(`/proc/${small.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    };
    try {
      const opened = [];
      const pending = [];
      for (let i = 0; i < 80; ++i) {
        const attempt = Client.connect(small.url, { localAddress: '127.0.8.1' });
        pending.push(attempt.then(async (c) => { await c.next('hello', 20000); opened.push(c); return c; }));
      }
      await sleep(1500);
      const stuck = opened.length;
      assert.ok(stuck > 10 && stuck < 80, `${stuck} sessions open under a limit of 64 descriptors`);
      const before = cpu();
      await sleep(2000);
      const spent = cpu() - before;
      assert.ok(spent < 0.5, `the server used ${spent} s of CPU in 2 s while out of descriptors`);
      await Promise.all(opened.slice(0, 40).map((c) => c.close()));
      const all = await Promise.all(pending);
      assert.equal(all.length, 80);
      await Promise.all(all.slice(40).map((c) => c.close()));
    } finally {
      await small.stop();
    }
  });
});
