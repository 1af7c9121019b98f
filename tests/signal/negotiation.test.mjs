// Relay of negotiation: SDP and candidates go to the partner only, checked
// with GStreamer's SDP parser; privacy mode withholds every non-relay
// address; and the TURN credentials in `matched` work on the relay.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, pair, startTurnpike } from './harness.mjs';
import { HOST_CANDIDATE, MDNS_CANDIDATE, RELAY_CANDIDATE, SRFLX_CANDIDATE, offer } from './fixtures.mjs';

let server;
before(async () => {
  server = await startTurnpike();
});
after(() => server.stop());

let n = 30;
const addresses = () => [`127.0.1.${n++}`, `127.0.1.${n++}`];

const candidate = (text) => ({ type: 'signal', data: { candidate: { candidate: text, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'EsAw' } } });

describe('signal forwarding', () => {
  test('an offer, an answer and candidates reach the partner intact, and only the partner', async () => {
    const { a, b } = await pair(server.url, { mode: 'video', addresses: addresses() });
    const bystander = await Client.connect(server.url, { localAddress: '127.0.1.200' });
    await bystander.next('hello');
    const sdp = offer();
    a.send({ type: 'signal', data: { description: { type: 'offer', sdp } } });
    const got = await b.next('signal');
    assert.deepEqual(got.data, { description: { type: 'offer', sdp } });
    b.send({ type: 'signal', data: { description: { type: 'answer', sdp } } });
    assert.equal((await a.next('signal')).data.description.type, 'answer');
    for (const text of [HOST_CANDIDATE, MDNS_CANDIDATE, SRFLX_CANDIDATE, RELAY_CANDIDATE]) {
      a.send(candidate(text));
      assert.deepEqual((await b.next('signal')).data.candidate,
        { candidate: text, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'EsAw' });
    }
    a.send(candidate(''));  // end of candidates
    assert.equal((await b.next('signal')).data.candidate.candidate, '');
    a.send({ type: 'signal', data: { candidate: null } });
    assert.equal((await b.next('signal')).data.candidate, null);
    a.send({ type: 'signal', data: { description: { type: 'rollback' } } });
    assert.deepEqual((await b.next('signal')).data, { description: { type: 'rollback' } });
    // Fields the protocol does not define are not forwarded.
    a.send({ type: 'signal', data: { description: { type: 'offer', sdp }, extra: 'x' }, spam: 1 });
    assert.deepEqual(Object.keys((await b.next('signal')).data), ['description']);
    assert.deepEqual(await bystander.none('signal', 200), []);
    await Promise.all([a.close(), b.close(), bystander.close()]);
  });

  test('malformed SDP, oversized SDP and bad candidates get an error and are not forwarded', async () => {
    const { a, b } = await pair(server.url, { mode: 'video', addresses: addresses() });
    const bad = [
      [{ description: { type: 'offer', sdp: 'hello world' } }, 'bad_sdp'],
      [{ description: { type: 'offer', sdp: offer().replace('v=0', 'v=1') } }, 'bad_sdp'],
      [{ description: { type: 'offer', sdp: offer() + 'a=candidate:x 1 udp 1 1.2.3.4 99999 typ host\r\n' } }, 'bad_sdp'],
      // (An SDP over 64 KiB cannot fit a frame, which is capped at 64 KiB:
      // such a frame closes the socket, see session.test.mjs.)
      [{ description: { type: 'offer', sdp: offer() + 'a=x\r\n'.repeat(4100) } }, 'bad_sdp'],
      [{ description: { type: 'offer', sdp: offer() + 'm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n'.repeat(33) } }, 'bad_sdp'],
      [{ description: { type: 'offer', sdp: offer().replace('m=video 9 UDP/TLS/RTP/SAVPF 96 97', 'm=video nine UDP/TLS/RTP/SAVPF 96') } }, 'bad_sdp'],
      [{ description: { type: 'offer', sdp: offer().replace('s=-\r\n', '') } }, 'bad_sdp'],
      [{ description: { type: 'offer', sdp: offer().replace('a=setup', 'this is not sdp\r\na=setup') } }, 'bad_sdp'],
      [{ description: { type: 'offer', sdp: offer().replace(/a=fingerprint:[^\r]*\r\n/g, '') } }, 'bad_sdp'],
      [{ description: { type: 'greeting', sdp: offer() } }, 'bad_field'],
      [{ description: { type: 'offer' } }, 'bad_field'],
      [{ candidate: { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 70000 typ host' } }, 'bad_candidate'],
      [{ candidate: { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 5000 typ teleport' } }, 'bad_candidate'],
      [{ candidate: { candidate: 'hello' } }, 'bad_candidate'],
      [{ candidate: { candidate: 42 } }, 'bad_field'],
      [{ candidate: { candidate: HOST_CANDIDATE, sdpMLineIndex: -1 } }, 'bad_field'],
      [{}, 'bad_field'],
    ];
    for (const [data, code] of bad) {
      a.send({ type: 'signal', data });
      const error = await a.next('error').catch((e) => assert.fail(`${JSON.stringify(data).slice(0, 120)}: ${e.message}`));
      assert.equal(error.code, code, JSON.stringify(data).slice(0, 200));
      assert.ok(error.message.length > 0);
    }
    assert.deepEqual(await b.none('signal', 200), []);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('privacy mode', () => {
  test('a find with privacy: the pair is told to use relay only and no non-relay address crosses, either way', async () => {
    const { a, b, ma, mb } = await pair(server.url, { mode: 'video', a: { privacy: true }, addresses: addresses() });
    for (const m of [ma, mb]) {
      assert.equal(m.privacy, true);
      assert.equal(m.iceTransportPolicy, 'relay');
    }
    for (const [from, to] of [[a, b], [b, a]]) {
      from.send(candidate(HOST_CANDIDATE));
      from.send(candidate(MDNS_CANDIDATE));
      from.send(candidate(SRFLX_CANDIDATE));
      from.send(candidate(RELAY_CANDIDATE));
      const got = await to.next('signal');
      assert.match(got.data.candidate.candidate, /typ relay raddr 0\.0\.0\.0 rport 0/);
      assert.ok(got.data.candidate.candidate.includes('203.0.113.5 50124'));
      assert.deepEqual(await to.none('signal', 200), []);
      from.send({ type: 'signal', data: { description: { type: 'offer', sdp: offer() } } });
      const sdp = (await to.next('signal')).data.description.sdp;
      assert.ok(!sdp.includes('192.0.2.10'), 'host address leaked');
      assert.ok(!sdp.includes('198.51.100.7'), 'server-reflexive address leaked');
      assert.ok(sdp.includes('typ relay'));
      assert.ok(sdp.includes('a=fingerprint:sha-256 0F:74:31'));
    }
    const stats = await server.signalStats();
    assert.ok(stats.candidates_withheld >= 6);
    await Promise.all([a.close(), b.close()]);
  });

  test('the server-wide default turns privacy on for everyone', async () => {
    const privateServer = await startTurnpike({ signal: { privacy: true } });
    try {
      const { a, b, ma } = await pair(privateServer.url, { addresses: addresses() });
      assert.equal(ma.iceTransportPolicy, 'relay');
      a.send(candidate(HOST_CANDIDATE));
      assert.deepEqual(await b.none('signal', 300), []);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await privateServer.stop();
    }
  });
});

describe('TURN credentials', () => {
  const niceRelay = process.env.NICE_RELAY_BIN ?? path.resolve('build/tests/integration/nice_relay');
  test('the credentials in matched let two ICE agents relay through this appliance', { skip: existsSync(niceRelay) ? false : `no ${niceRelay}` }, async () => {
    const { a, b, ma } = await pair(server.url, { mode: 'video', addresses: addresses() });
    const turn = ma.iceServers.find((s) => s.urls[0].startsWith('turn:'));
    const ok = spawnSync(niceRelay, ['127.0.0.1', String(server.relayPort), turn.username, turn.credential, '--timeout', '20'], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    const wrong = spawnSync(niceRelay, ['127.0.0.1', String(server.relayPort), turn.username, 'not-the-credential', '--timeout', '5'], { encoding: 'utf8' });
    assert.notEqual(wrong.status, 0);
    await Promise.all([a.close(), b.close()]);
  });
});
