// Starts a real turnpike and drives it with real WebSocket clients (the `ws`
// package: an implementation independent of the server's libsoup).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

export const TURNPIKE_BIN = process.env.TURNPIKE_BIN ?? path.resolve('build/turnpike');

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function renderConfig(sections) {
  return Object.entries(sections)
    .map(([section, keys]) =>
      `[${section}]\n` + Object.entries(keys).map(([k, v]) => `${k} = ${v}`).join('\n'))
    .join('\n\n') + '\n';
}

// One turnpike process with relay and signal roles on loopback ports.
// `overrides` is {section: {key: value}} merged over the test defaults.
export async function startTurnpike(overrides = {}, { fdLimit } = {}) {
  const relayPort = await freePort();
  const signalPort = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'turnpike-signal-'));
  const sections = {
    server: { roles: 'relay,signal', 'state-dir': dir, 'log-level': 'debug' },
    relay: {
      listen: `127.0.0.1:${relayPort}`, threads: 1, 'allow-loopback-peers': true,
      'min-port': 40000 + (relayPort % 1000) * 20, 'max-port': 40000 + (relayPort % 1000) * 20 + 19,
    },
    signal: { listen: `127.0.0.1:${signalPort}`, 'max-sessions-per-ip': 1000 },
    matcher: {},
  };
  for (const [section, keys] of Object.entries(overrides)) {
    sections[section] = { ...(sections[section] ?? {}), ...keys };
  }
  const configPath = path.join(dir, 'turnpike.conf');
  writeFileSync(configPath, renderConfig(sections));
  // `fdLimit`: run under `ulimit -n`, to test running out of descriptors.
  const child = fdLimit
    ? spawn('/bin/sh', ['-c', `ulimit -n ${fdLimit} && exec "$0" --config "$1"`, TURNPIKE_BIN, configPath],
      { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(TURNPIKE_BIN, ['--config', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  const server = new Turnpike(child, dir, relayPort, signalPort);
  await server.waitForLog(/\bready\b/, 10000);
  return server;
}

export class Turnpike {
  constructor(child, dir, relayPort, signalPort) {
    this.child = child;
    this.dir = dir;
    this.relayPort = relayPort;
    this.signalPort = signalPort;
    this.url = `ws://127.0.0.1:${signalPort}/ws`;
    this.log = '';
    this.exited = new Promise((resolve) => child.once('exit', (code, sig) => resolve({ code, sig })));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => { this.log += chunk; });
  }

  async waitForLog(pattern, timeoutMs = 5000, from = 0) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = this.log.slice(from).match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null) throw new Error(`turnpike exited:\n${this.log}`);
      await sleep(20);
    }
    throw new Error(`no log line matching ${pattern} within ${timeoutMs} ms:\n${this.log.slice(-3000)}`);
  }

  // The signal server's counters, from the line SIGUSR1 logs.
  async signalStats() {
    const from = this.log.length;
    this.child.kill('SIGUSR1');
    const match = await this.waitForLog(/signal stats: ([^\n]*)/, 5000, from);
    return Object.fromEntries(match[1].trim().split(' ').map((kv) => {
      const [k, v] = kv.split('=');
      return [k, Number(v)];
    }));
  }

  async stop() {
    if (this.child.exitCode === null) {
      this.child.kill('SIGTERM');
    }
    const result = await this.exited;
    rmSync(this.dir, { recursive: true, force: true });
    return result;
  }
}

// A WebSocket client that queues what it receives, so a test can wait for a
// message of a given type and assert that none of another arrived.
export class Client {
  static connect(url, { localAddress = '127.0.0.1', origin, headers = {}, ...options } = {}) {
    const allHeaders = { ...headers };
    if (origin) allHeaders.Origin = origin;
    const ws = new WebSocket(url, { localAddress, headers: allHeaders, ...options });
    const client = new Client(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (req, res) =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.waiters = [];
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data, isBinary) => {
      const message = isBinary ? { type: '<binary>' } : JSON.parse(data.toString());
      this.queue.push(message);
      this.waiters = this.waiters.filter((w) => !w());
    });
  }

  send(message) {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  // The first queued message of `type`, removed from the queue.
  next(type, timeoutMs = 3000) {
    return new Promise((resolve, reject) => {
      const take = () => {
        const i = this.queue.findIndex((m) => m.type === type);
        if (i < 0) return false;
        clearTimeout(timer);
        resolve(this.queue.splice(i, 1)[0]);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== take);
        reject(new Error(`no '${type}' within ${timeoutMs} ms; queue: ${JSON.stringify(this.queue)}`));
      }, timeoutMs);
      if (!take()) this.waiters.push(take);
    });
  }

  // Resolves to the messages of `type` that arrived within `ms` (normally none).
  async none(type, ms = 300) {
    await sleep(ms);
    return this.queue.filter((m) => m.type === type);
  }

  close() {
    this.ws.close();
    return this.closed;
  }
}

// Two clients paired in `mode`; resolves to [impolite, polite, matchedA, matchedB].
export async function pair(url, { mode = 'text', a = {}, b = {}, addresses = ['127.0.0.2', '127.0.0.3'] } = {}) {
  const ca = await Client.connect(url, { localAddress: addresses[0] });
  const cb = await Client.connect(url, { localAddress: addresses[1] });
  await ca.next('hello');
  await cb.next('hello');
  ca.send({ type: 'find', mode, ...a });
  await ca.next('waiting');
  cb.send({ type: 'find', mode, ...b });
  const ma = await ca.next('matched');
  const mb = await cb.next('matched');
  return { a: ca, b: cb, ma, mb };
}
