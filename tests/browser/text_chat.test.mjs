// Text mode: two pages meet on a shared interest, chat, and see each other
// typing; what a stranger sends is shown as text, never as HTML. A page
// whose camera is refused still chats, and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  skipReason, startAppliance, launch, openPage, start, waitState, screenshot, messages,
  waitMessage,
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

test('text chat with a typing indicator, rendered as text', { skip, timeout: 60000 }, async () => {
  const a = await openPage(browser, server);
  const b = await openPage(browser, server);
  await screenshot(a, 'text-idle');
  assert.equal(await a.textContent('#status'), 'Press Start to meet someone.');

  await start(a, { mode: 'text', interests: 'music, cats' });
  await waitState(a, 'searching');
  await screenshot(a, 'text-searching');
  await start(b, { mode: 'text', interests: 'Cats' });
  await waitState(a, 'connected');
  await waitState(b, 'connected');
  await waitMessage(b, 'You both like: cats.');

  // Typing shows on the other side, and goes when the line is sent.
  await a.type('#message', 'hi there', { delay: 20 });
  await b.waitForSelector('#typing', { state: 'visible', timeout: 5000 });
  await a.press('#message', 'Enter');
  await waitMessage(b, 'Stranger: hi there');
  await b.waitForSelector('#typing', { state: 'hidden', timeout: 5000 });
  assert.ok((await messages(a)).includes('You: hi there'));

  // Markup arrives as the characters typed: no element is made of it.
  const markup = '<img src=x onerror="window.pwned=1"><b>bold</b>';
  await b.fill('#message', markup);
  await b.click('#send');
  await waitMessage(a, markup);
  assert.equal(await a.$$eval('#messages img, #messages b', (els) => els.length), 0);
  assert.equal(await a.evaluate(() => window.pwned), undefined);
  await screenshot(a, 'text-connected');

  // The partner leaves: the page says so and offers Next.
  await b.click('#stop');
  await waitState(a, 'partner-left');
  assert.match(await a.textContent('#status'), /Stranger has left/);
  assert.equal(await a.isDisabled('#message'), true);
  await screenshot(a, 'text-partner-left');
  assert.deepEqual(a.consoleErrors, []);
  assert.deepEqual(b.consoleErrors, []);
  await a.context().close();
  await b.context().close();
});

test('camera refused: the page says why and text chat still works', { skip, timeout: 60000 }, async () => {
  const a = await openPage(browser, server);
  await a.evaluate(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  const b = await openPage(browser, server);
  await start(a, { mode: 'video' });
  await a.waitForSelector('#notice', { state: 'visible' });
  assert.match(await a.textContent('#notice'), /access was denied\. Text chat still works\./);
  assert.equal(await a.isChecked('input[name="mode"][value="text"]'), true);
  assert.equal(await a.isHidden('#videos'), true);
  await start(b, { mode: 'text' });
  await waitState(a, 'connected');
  await b.fill('#message', 'text works');
  await b.press('#message', 'Enter');
  await waitMessage(a, 'Stranger: text works');
  await screenshot(a, 'camera-denied');
  await a.context().close();
  await b.context().close();
});
