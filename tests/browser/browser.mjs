// Real-browser tests: Debian's Chromium, driven by playwright-core, loads the
// chat page from a real turnpike (same origin, as a deployment serves it)
// and talks to other pages through its signaling server and its TURN relay.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startTurnpike, sleep } from '../signal/harness.mjs';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const here = path.dirname(fileURLToPath(import.meta.url));
export const WEB_ROOT = path.resolve(here, '../../web');
// Screenshots land in the build folder (meson passes it) for people to look at.
export const ARTIFACTS = process.env.TURNPIKE_ARTIFACTS ?? path.resolve('build/artifacts');

// Why these tests cannot run here, or '' when they can.
export function skipReason() {
  return existsSync(CHROMIUM) ? '' : `no Chromium at ${CHROMIUM} (install Debian's chromium package)`;
}

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
];

// Every page poses as a different browser behind a reverse proxy on
// 127.0.0.1 (trusted-proxies), so per-IP rules (blocks) see distinct users.
export async function startAppliance(overrides = {}) {
  const server = await startTurnpike({
    ...overrides,
    signal: { 'web-root': WEB_ROOT, 'trusted-proxies': '127.0.0.1/32', ...(overrides.signal ?? {}) },
  });
  server.pageUrl = `http://127.0.0.1:${server.signalPort}/`;
  return server;
}

export async function launch({ args = [] } = {}) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, ...args] });
}

let nextIp = 10;

// A page in a context of its own (its own storage, its own "IP").
export async function openPage(browser, server, { ip, viewport = { width: 1100, height: 720 } } = {}) {
  const clientIp = ip ?? `198.51.100.${nextIp++}`;
  const context = await browser.newContext({
    viewport,
    extraHTTPHeaders: { 'X-Forwarded-For': clientIp },
  });
  const page = await context.newPage();
  page.clientIp = clientIp;
  page.consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
  await page.goto(server.pageUrl);
  await page.waitForFunction(() => 'turnpikeApp' in window);
  return page;
}

// Picks the mode and options on the form, then presses Start.
export async function start(page, { mode = 'text', interests = '', privacy = false } = {}) {
  await page.check(`input[name="mode"][value="${mode}"]`);
  if (interests) await page.fill('#interests', interests);
  if (privacy) await page.check('#privacy');
  await page.click('#start');
}

export async function waitState(page, state, timeout = 10000) {
  // Polled on a timer: a page that is not in front may get few animation frames.
  await page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout, polling: 100 });
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

// The messages list as the user reads it.
export function messages(page) {
  return page.$$eval('#messages li', (items) => items.map((li) => li.textContent));
}

export async function waitMessage(page, text, timeout = 5000) {
  await page.waitForFunction(
    (t) => [...document.querySelectorAll('#messages li')].some((li) => li.textContent.includes(t)),
    text, { timeout, polling: 100 });
}

// The relay's counters, from the `stats:` line SIGUSR1 logs (src/main.cpp).
export async function relayStats(server) {
  const from = server.log.length;
  server.child.kill('SIGUSR1');
  const match = await server.waitForLog(/ stats: (allocations_active=[^\n]*)/, 5000, from);
  return Object.fromEntries(match[1].trim().split(' ').map((kv) => {
    const [k, v] = kv.split('=');
    return [k, Number(v)];
  }));
}

// Inbound video frames decoded so far on the page's call.
export function framesDecoded(page) {
  return page.evaluate(async () => {
    const pc = window.turnpikeApp.client.pc;
    if (!pc) return 0;
    let frames = 0;
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded ?? 0;
    });
    return frames;
  });
}

export async function waitFramesGrow(page, by = 10, timeout = 15000) {
  const first = await framesDecoded(page);
  const deadline = Date.now() + timeout;
  for (;;) {
    const now = await framesDecoded(page);
    if (now >= first + by) return { first, now };
    if (Date.now() > deadline) throw new Error(`framesDecoded stuck at ${now} (was ${first})`);
    await sleep(200);
  }
}

export { sleep };
