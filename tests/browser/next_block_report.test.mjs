// Next (Esc) ends a pair and meets the next stranger; Block keeps a
// stranger (their session and their IP) away for good; Report reaches the
// moderators' counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  skipReason, startAppliance, launch, openPage, start, waitState, screenshot, waitMessage, sleep,
} from './browser.mjs';

const skip = skipReason() || false;
let server;
let browser;

test.before(async () => {
  if (skip) return;
  server = await startAppliance();
  browser = await launch();
});
test.after(async () => {
  await browser?.close();
  await server?.stop();
});

async function chat(from, to, text) {
  await from.fill('#message', text);
  await from.press('#message', 'Enter');
  await waitMessage(to, `Stranger: ${text}`);
}

test('Esc is Next: the pair ends and a third page is met', { skip, timeout: 60000 }, async () => {
  const a = await openPage(browser, server);
  const b = await openPage(browser, server);
  await start(a);
  await waitState(a, 'searching');
  await start(b);
  await waitState(a, 'connected');
  await waitState(b, 'connected');
  await chat(a, b, 'first partner');

  const c = await openPage(browser, server);
  await start(c);
  await waitState(c, 'searching');
  await a.keyboard.press('Escape');
  await waitState(b, 'partner-left');
  await waitState(a, 'connected');
  await waitState(c, 'connected');
  assert.deepEqual(await a.$$eval('#messages li', (l) => l.map((x) => x.textContent).filter((t) => t.includes('first partner'))), []);
  await chat(a, c, 'second partner');
  await chat(c, a, 'hello back');
  // b was not part of it.
  assert.equal((await b.textContent('#messages')).includes('second partner'), false);
  await screenshot(b, 'next-partner-left');
  for (const page of [a, b, c]) await page.context().close();
});

test('Block keeps the stranger and their IP away; Report is recorded', { skip, timeout: 60000 }, async () => {
  const statsBefore = await server.signalStats();
  const a = await openPage(browser, server);
  const b = await openPage(browser, server);
  await start(a);
  await waitState(a, 'searching');
  await start(b);
  await waitState(a, 'connected');
  await waitState(b, 'connected');

  // Report first (the pair goes on), through the page's dialog.
  await a.click('#report');
  await a.selectOption('#report-reason', 'spam');
  await a.click('#report-send');
  await waitMessage(a, 'Thanks, your report was sent.');
  await chat(b, a, 'still here');

  await a.click('#block');
  await waitMessage(a, 'You blocked this stranger.');
  await waitState(b, 'partner-left');
  assert.match(await b.textContent('#status'), /Stranger has left/);  // a block is not revealed
  await waitState(a, 'searching');
  await screenshot(a, 'blocked-searching');

  // A new session from b's address is not matched with a.
  const again = await openPage(browser, server, { ip: b.clientIp });
  await start(again);
  await sleep(1500);
  assert.equal(await a.evaluate(() => document.body.dataset.state), 'searching');
  assert.equal(await again.evaluate(() => document.body.dataset.state), 'searching');

  // Someone else is.
  const d = await openPage(browser, server);
  await start(d);
  await waitState(d, 'connected');
  const paired = await Promise.all([a, again].map((p) => p.evaluate(() => document.body.dataset.state)));
  assert.equal(paired.filter((s) => s === 'connected').length, 1);

  const stats = await server.signalStats();
  assert.equal(stats.blocks - statsBefore.blocks, 1);
  assert.equal(stats.reports - statsBefore.reports, 1);
  for (const page of [a, b, again, d]) await page.context().close();
});
