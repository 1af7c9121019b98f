// Call after call connects: rounds of fresh pages, two calls at a time, each
// reach "connected" through the relay. Both sides start negotiating the
// moment they are matched; a client that let both offer at once lost about
// one call in four here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { skipReason, startAppliance, launch, openPage, start, waitState } from './browser.mjs';

const ROUNDS = 3;
const PAGES_PER_ROUND = 4;  // two calls

test(`${ROUNDS * PAGES_PER_ROUND / 2} calls all connect`, { skip: skipReason() || false, timeout: 90000 }, async () => {
  const server = await startAppliance();
  const browser = await launch();
  try {
    const stalled = [];
    for (let round = 0; round < ROUNDS; round++) {
      const pages = await Promise.all(Array.from({ length: PAGES_PER_ROUND }, () => openPage(browser, server)));
      await Promise.all(pages.map((page) => start(page, { mode: 'video', privacy: true })));
      await Promise.all(pages.map(async (page, i) => {
        try {
          await waitState(page, 'connected', 12000);
        } catch {
          stalled.push(`round ${round} page ${i}: ${await page.evaluate(() => document.body.dataset.state)}`);
        }
      }));
      await Promise.all(pages.map((page) => page.context().close()));
    }
    assert.deepEqual(stalled, [], `pages whose call never connected: ${stalled.join('; ')}`);
    const stats = await server.signalStats();
    assert.equal(stats.matches, ROUNDS * PAGES_PER_ROUND / 2);
    assert.equal(stats.path_relay, ROUNDS * PAGES_PER_ROUND);
  } finally {
    await browser.close();
    await server.stop();
  }
});
