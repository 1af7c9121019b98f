// A call whose path breaks restarts ICE and comes back: the appliance is
// frozen (SIGSTOP) long enough for both browsers to see the relayed path go
// dead, then thawed; the page negotiates new ICE credentials and video
// frames flow again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  skipReason, startAppliance, launch, openPage, start, waitState, waitFramesGrow, screenshot, sleep,
} from './browser.mjs';

const iceUfrag = (page) => page.evaluate(() =>
  window.turnpikeApp.client.pc.localDescription.sdp.match(/a=ice-ufrag:(\S+)/)[1]);

test('a broken path restarts ICE and the call recovers', { skip: skipReason() || false, timeout: 60000 }, async () => {
  const server = await startAppliance();
  const browser = await launch();
  try {
    const a = await openPage(browser, server);
    const b = await openPage(browser, server);
    await start(a, { mode: 'video', privacy: true });
    await waitState(a, 'searching');
    await start(b, { mode: 'video', privacy: true });
    await waitState(a, 'connected', 20000);  // (first connection)
    await waitState(b, 'connected', 20000);
    await waitFramesGrow(a, 10);
    const before = [await iceUfrag(a), await iceUfrag(b)];
    // Restart soon after "disconnected" rather than after the default 4 s.
    for (const page of [a, b]) {
      await page.evaluate(() => { window.turnpikeApp.client.disconnectedRestartMs = 500; });
    }

    // Every ICE state each page goes through from here on.
    for (const page of [a, b]) {
      await page.evaluate(() => {
        const pc = window.turnpikeApp.client.pc;
        window.iceStates = [];
        pc.addEventListener('iceconnectionstatechange', () => window.iceStates.push(pc.iceConnectionState));
      });
    }

    server.child.kill('SIGSTOP');
    try {
      await a.waitForFunction(
        () => window.iceStates.some((s) => s === 'disconnected' || s === 'failed'),
        null, { timeout: 30000, polling: 100 });
      assert.match(await a.textContent('#status'), /Reconnecting the call/);
      await screenshot(a, 'video-call-reconnecting');
      await sleep(1500);  // past the restart delay: the new offer waits in the socket
    } finally {
      server.child.kill('SIGCONT');
    }

    // What both pages went through, should they not come back.
    const states = async () => JSON.stringify(await Promise.all([a, b].map((p) => p.evaluate(
      () => ({ ice: window.iceStates, page: document.body.dataset.state })))));
    try {
      await waitState(a, 'connected', 20000);
      await waitState(b, 'connected', 20000);
    } catch (error) {
      throw new Error(`the call did not recover: ${await states()}\n${error.message}`);
    }
    await Promise.all([waitFramesGrow(a, 15), waitFramesGrow(b, 15)]);
    const after = [await iceUfrag(a), await iceUfrag(b)];
    assert.notEqual(after[0], before[0], 'a has new ICE credentials');
    assert.notEqual(after[1], before[1], 'b has new ICE credentials');
    assert.equal(await b.evaluate(() => window.iceStates.at(-1)), 'connected');
    const selected = await a.evaluate(() => window.turnpikeApp.client.selectedPath());
    assert.equal(selected.path, 'relay');
    assert.equal(await a.textContent('#status'), 'Connected (through the relay). Say hi!');
  } finally {
    await browser.close();
    await server.stop();
  }
});
