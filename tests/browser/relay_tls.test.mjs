// TURN over TLS from a real browser: two pages in privacy mode whose only
// ICE server is the relay's turns: URL, so every media packet crosses the
// relay inside TLS streams (the relay's TLS counters and its relayed
// packets both move, and frames are decoded on both sides).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  skipReason, startAppliance, launch, openPage, start, waitState, relayStats, waitFramesGrow,
} from './browser.mjs';
import { freePort } from '../signal/harness.mjs';

// A self-signed certificate for 127.0.0.1, made for the run.
function certificate(dir) {
  const cert = path.join(dir, 'relay.crt');
  const key = path.join(dir, 'relay.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-days', '2', '-subj', '/CN=relay.test', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

test('video through the relay over TLS only', { skip: skipReason() || false, timeout: 60000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'turnpike-tls-'));
  const { cert, key } = certificate(dir);
  const tlsPort = await freePort();
  const server = await startAppliance({
    relay: { 'tls-listen': `127.0.0.1:${tlsPort}`, cert, pkey: key },
    signal: { 'ice-servers': `turns:127.0.0.1:${tlsPort}?transport=tcp` },
  });
  // The certificate is the run's own: Chromium is told to accept it, as a
  // deployment's would be through its CA. Without the flag Chromium refuses
  // it and no call connects (tried by hand): the TLS is checked for real.
  const browser = await launch({ args: ['--ignore-certificate-errors'] });
  try {
    const a = await openPage(browser, server);
    const b = await openPage(browser, server);
    const before = await relayStats(server);
    await start(a, { mode: 'video', privacy: true });
    await waitState(a, 'searching');
    await start(b, { mode: 'video', privacy: true });
    for (const page of [a, b]) {
      await waitState(page, 'connected', 30000);
      const selected = await page.evaluate(() => window.turnpikeApp.client.selectedPath());
      assert.deepEqual(selected, { path: 'relay', local: 'relay', remote: 'relay' });
      const urls = await page.evaluate(() =>
        window.turnpikeApp.client.pc.getConfiguration().iceServers.flatMap((s) => s.urls));
      assert.deepEqual(urls, [`turns:127.0.0.1:${tlsPort}?transport=tcp`]);
    }
    const [grewA, grewB] = await Promise.all([waitFramesGrow(a, 15), waitFramesGrow(b, 15)]);
    assert.ok(grewA.now > grewA.first && grewB.now > grewB.first);

    const after = await relayStats(server);
    assert.ok(after.tls_connections_accepted >= before.tls_connections_accepted + 2,
      `TLS connections ${before.tls_connections_accepted} -> ${after.tls_connections_accepted}`);
    assert.ok(after.allocations_created >= before.allocations_created + 2);
    assert.ok(after.relayed_to_peer_packets - before.relayed_to_peer_packets > 200,
      `to peer ${before.relayed_to_peer_packets} -> ${after.relayed_to_peer_packets}`);
    assert.ok(after.relayed_to_client_packets - before.relayed_to_client_packets > 200,
      `to client ${before.relayed_to_client_packets} -> ${after.relayed_to_client_packets}`);
    assert.deepEqual(a.consoleErrors, []);
    assert.deepEqual(b.consoleErrors, []);
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
