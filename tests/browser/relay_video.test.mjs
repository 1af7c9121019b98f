// Privacy mode: two pages in video mode meet, and their media flows only
// through Turnpike's TURN relay (relay candidates on both ends, the relay's
// own counters moving, frames decoded on both sides).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  skipReason, startAppliance, launch, openPage, start, waitState, screenshot, relayStats,
  waitFramesGrow,
} from './browser.mjs';

test('video through the relay in privacy mode', { skip: skipReason() || false, timeout: 60000 }, async () => {
  const server = await startAppliance();
  const browser = await launch();
  try {
    const a = await openPage(browser, server);
    const b = await openPage(browser, server, { viewport: { width: 390, height: 760 } });
    const before = await relayStats(server);

    await start(a, { mode: 'video', privacy: true });
    await waitState(a, 'searching');
    await screenshot(a, 'video-searching');
    await start(b, { mode: 'video', privacy: true });

    for (const page of [a, b]) {
      await waitState(page, 'connected', 20000);
      await page.waitForFunction(() => document.body.dataset.path !== undefined, null, { timeout: 10000 });
    }
    // The pair each page reports from getStats: relay at both ends.
    for (const page of [a, b]) {
      const selected = await page.evaluate(() => window.turnpikeApp.client.selectedPath());
      assert.deepEqual(selected, { path: 'relay', local: 'relay', remote: 'relay' });
      const policy = await page.evaluate(() => window.turnpikeApp.client.pc.getConfiguration().iceTransportPolicy);
      assert.equal(policy, 'relay');
    }
    const [grewA, grewB] = await Promise.all([waitFramesGrow(a, 15), waitFramesGrow(b, 15)]);
    assert.ok(grewA.now > grewA.first && grewB.now > grewB.first);
    // The fake camera's picture reached the other side's <video>.
    for (const page of [a, b]) {
      const size = await page.$eval('#remote-video', (v) => [v.videoWidth, v.videoHeight]);
      assert.ok(size[0] > 0 && size[1] > 0, `remote video ${size}`);
    }

    const after = await relayStats(server);
    assert.ok(after.allocations_created >= before.allocations_created + 2,
      `allocations ${before.allocations_created} -> ${after.allocations_created}`);
    // Both directions of both calls' media crossed the relay: hundreds of packets.
    assert.ok(after.relayed_to_peer_packets - before.relayed_to_peer_packets > 200,
      `to peer ${before.relayed_to_peer_packets} -> ${after.relayed_to_peer_packets}`);
    assert.ok(after.relayed_to_client_packets - before.relayed_to_client_packets > 200,
      `to client ${before.relayed_to_client_packets} -> ${after.relayed_to_client_packets}`);
    const signal = await server.signalStats();
    assert.equal(signal.path_relay, 2);
    assert.equal(signal.path_p2p, 0);
    await screenshot(a, 'video-connected-desktop');
    await screenshot(b, 'video-connected-phone');

    // Camera off on one side: the other side's page says so.
    await a.click('#camera');
    await b.waitForSelector('#remote-camera-off', { state: 'visible', timeout: 5000 });
    assert.equal(await a.getAttribute('#camera', 'aria-pressed'), 'false');
    await screenshot(b, 'video-partner-camera-off');
    await a.click('#camera');
    await b.waitForSelector('#remote-camera-off', { state: 'hidden', timeout: 5000 });

    // Chat alongside the call.
    await b.fill('#message', 'hello over video');
    await b.press('#message', 'Enter');
    await a.waitForFunction(() => document.querySelector('#messages').textContent.includes('hello over video'));
    assert.deepEqual(a.consoleErrors, []);
    assert.deepEqual(b.consoleErrors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
