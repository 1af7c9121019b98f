// The signaling connection drops mid-session (the page's WebSocket closes
// under it): the page says it is reconnecting, gets a new session, looks
// again by itself, and meets someone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  skipReason, startAppliance, launch, openPage, start, waitState, screenshot, waitMessage,
} from './browser.mjs';

test('a dropped signal connection reconnects and finds again', { skip: skipReason() || false, timeout: 60000 }, async () => {
  const server = await startAppliance();
  const browser = await launch();
  try {
    const a = await openPage(browser, server);
    const b = await openPage(browser, server);
    await start(a);
    await waitState(a, 'searching');
    await start(b);
    await waitState(a, 'connected');
    await waitState(b, 'connected');
    const firstId = await a.evaluate(() => window.turnpikeApp.client.sessionId);
    const before = await server.signalStats();

    // A slower first retry, so the reconnecting state can be seen and shot.
    await a.evaluate(() => {
      const { client } = window.turnpikeApp;
      client.reconnectMinMs = 3000;
      client.socket.close();
    });
    await waitState(a, 'reconnecting', 2000);
    assert.match(await a.textContent('#status'), /Connection to the server lost\. Reconnecting in \d s/);
    await screenshot(a, 'reconnecting');
    // The server saw the session go, and told the partner.
    await waitState(b, 'partner-left');
    assert.match(await b.textContent('#status'), /lost their connection/);

    // Back with a new session, looking again on its own; b looks too.
    await waitState(a, 'searching', 8000);
    const secondId = await a.evaluate(() => window.turnpikeApp.client.sessionId);
    assert.notEqual(secondId, firstId);
    await b.click('#next');
    await waitState(a, 'connected');
    await waitState(b, 'connected');
    await b.fill('#message', 'welcome back');
    await b.press('#message', 'Enter');
    await waitMessage(a, 'Stranger: welcome back');
    const after = await server.signalStats();
    assert.equal(after.sessions_total - before.sessions_total, 1);
    assert.equal(after.matches - before.matches, 1);
  } finally {
    await browser.close();
    await server.stop();
  }
});
