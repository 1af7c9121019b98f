// bench/signal: drives a real turnpike signal server over WebSocket (the `ws`
// package) on loopback and prints its figures.
//
//   idle      N sessions opened and held (each has had its `hello`); the
//             server's VmRSS before and after gives memory per idle session.
//   matching  C clients in W worker threads loop find -> matched -> offer ->
//             answer -> next (the impolite side moves on, the polite side
//             finds again) for S seconds: matches per second, and the server's
//             CPU per match.
//   latency   meanwhile, probe pairs in their own language: one waits, the
//             other sends find; find -> matched for the second is the
//             latency with a partner waiting (p50, p99).
//   cluster   matching and latency again with two nodes sharing one
//             redis-server ([matcher] backend = redis): clients alternate
//             between the nodes, and each probe pair spans both, so its
//             latency includes the cross-node match. Printed beside the
//             in-process figures. --cluster 0 skips it.
//
// Usage: bench/signal [--build DIR] [--idle N] [--clients C] [--workers W]
//                     [--seconds S] [--probes P] [--cluster 0|1] [--json FILE]
// Traffic goes only to 127.0.0.0/8.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.dirname(here);

function parseArgs(argv) {
  const options = { build: 'build', idle: 50000, clients: 2000, workers: 1, seconds: 10, json: null, probes: 200, cluster: 1 };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(0, 23).join('\n'));
      process.exit(0);
    }
    const key = arg.replace(/^--/, '');
    if (!(key in options) || i + 1 >= argv.length) {
      console.error(`bench/signal: unknown or incomplete option ${arg}`);
      process.exit(2);
    }
    options[key] = key === 'build' || key === 'json' ? argv[++i] : Number(argv[++i]);
  }
  return options;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Source addresses 127.1.0.1, 127.1.0.2, ...: each has its own ephemeral
// ports, so 50,000 connections fit.
function sourceAddress(i) {
  const n = 1 + Math.floor(i / 20000);
  return `127.1.${n >> 8}.${n & 255}`;
}

function procStat(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(status.match(/VmRSS:\s+(\d+)/)[1]);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssKiB, cpuSeconds: ticks / 100 };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// --- worker: a share of the matching clients ---

async function runWorker({ urls, clients, seconds, sdp, base }) {
  let matches = 0;
  let errors = 0;
  let running = true;
  const sockets = [];
  const start = (i) => new Promise((resolve, reject) => {
    const url = urls[(base + i) % urls.length];
    const ws = new WebSocket(url, { localAddress: sourceAddress(base + i), perMessageDeflate: false });
    sockets.push(ws);
    ws.on('error', reject);
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      switch (m.type) {
        case 'hello':
          resolve();
          break;
        case 'matched':
          ++matches;
          if (m.role === 'impolite' && running) {
            ws.send(JSON.stringify({ type: 'signal', data: { description: { type: 'offer', sdp } } }));
          }
          break;
        case 'signal':
          if (m.data.description.type === 'offer') {
            ws.send(JSON.stringify({ type: 'signal', data: { description: { type: 'answer', sdp } } }));
          } else if (running) {
            ws.send('{"type":"next"}');
          }
          break;
        case 'partner_left':
          if (running) ws.send('{"type":"find","mode":"video","lang":"en"}');
          break;
        case 'error':
          ++errors;
          break;
        default:
          break;
      }
    });
  });
  for (let i = 0; i < clients; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, clients - i) }, (_, k) => start(i + k)));
  }
  parentPort.postMessage({ ready: true });
  await new Promise((resolve) => parentPort.once('message', resolve));
  for (const ws of sockets) ws.send('{"type":"find","mode":"video","lang":"en"}');
  const began = Date.now();
  await sleep(seconds * 1000);
  running = false;
  const counted = matches;
  const elapsed = (Date.now() - began) / 1000;
  for (const ws of sockets) ws.terminate();
  parentPort.postMessage({ matches: counted / 2, errors, elapsed });
}


// --- main thread ---

const { startTurnpike } = await import(path.join(repo, 'tests/signal/harness.mjs'));
const { offer } = await import(path.join(repo, 'tests/signal/fixtures.mjs'));

function open(url, localAddress) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('message', () => resolve(ws)); // hello
  });
}

// Never leave a server behind, whatever ends this run.
const servers = new Set();
const forget = () => { for (const child of servers) child.kill('SIGKILL'); };
if (isMainThread) process.on('exit', forget);
if (isMainThread) for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { forget(); process.exit(130); });

async function idlePhase(options) {
  const server = await startTurnpike({
    server: { 'log-level': 'info' },
    signal: { 'max-sessions-per-ip': 1000000, 'max-sessions': 1000000 },
  });
  servers.add(server.child);
  try {
    await sleep(300);
    const before = procStat(server.child.pid);
    const started = Date.now();
    const sockets = [];
    for (let i = 0; i < options.idle; i += 500) {
      const batch = Array.from({ length: Math.min(500, options.idle - i) }, (_, k) => open(server.url, sourceAddress(i + k)));
      sockets.push(...await Promise.all(batch));
    }
    const openSeconds = (Date.now() - started) / 1000;
    await sleep(1000);
    const after = procStat(server.child.pid);
    // How the held sessions slow everything else down: a find -> waiting
    // round trip from one more client while they are all open.
    const probe = await open(server.url, '127.2.0.9');
    const rtts = [];
    for (let k = 0; k < 50; ++k) {
      const sent = process.hrtime.bigint();
      await new Promise((resolve) => {
        probe.once('message', resolve);
        probe.send('{"type":"find","mode":"text","lang":"zz"}');
      });
      rtts.push(Number(process.hrtime.bigint() - sent) / 1e6);
      probe.send('{"type":"leave"}');
    }
    rtts.sort((x, y) => x - y);
    probe.terminate();
    for (const ws of sockets) ws.terminate();
    const perSessionBytes = ((after.rssKiB - before.rssKiB) * 1024) / options.idle;
    return {
      sessions: options.idle,
      rss_before_mib: before.rssKiB / 1024,
      rss_after_mib: after.rssKiB / 1024,
      bytes_per_session: perSessionBytes,
      opened_per_second: options.idle / openSeconds,
      round_trip_p50_ms: percentile(rtts, 50),
      round_trip_p99_ms: percentile(rtts, 99),
    };
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

// Two fresh clients per sample (two that just left each other are never
// paired again at once): one waits, the other's find -> matched is timed.
async function probeLatency([urlA, urlB], count, until) {
  const samples = [];
  const next = (ws, type) => new Promise((resolve) => {
    const on = (raw) => {
      const m = JSON.parse(raw.toString());
      if (m.type === type) {
        ws.off('message', on);
        resolve(m);
      }
    };
    ws.on('message', on);
  });
  for (let i = 0; i < count && Date.now() < until; ++i) {
    const [a, b] = await Promise.all([open(urlA, `127.2.${i >> 6}.${2 * (i & 63) + 1}`),
      open(urlB, `127.2.${i >> 6}.${2 * (i & 63) + 2}`)]);
    const waiting = next(a, 'waiting');
    a.send('{"type":"find","mode":"text","lang":"zz"}');
    await waiting;
    const matchedA = next(a, 'matched');
    const matchedB = next(b, 'matched');
    const sent = process.hrtime.bigint();
    b.send('{"type":"find","mode":"text","lang":"zz"}');
    await matchedB;
    samples.push(Number(process.hrtime.bigint() - sent) / 1e6);
    await matchedA;
    a.terminate();
    b.terminate();
    await sleep(Math.max(1, Math.floor((until - Date.now()) / (count - i) / 2)));
  }
  return samples.sort((x, y) => x - y);
}

// One node on the in-process matcher, or two nodes on one redis-server.
async function startNodes(cluster) {
  const overrides = {
    server: { 'log-level': 'info' },
    signal: { 'max-sessions-per-ip': 1000000, 'max-sessions': 1000000 },
  };
  if (!cluster) {
    const node = await startTurnpike(overrides);
    servers.add(node.child);
    return { nodes: [node], redis: null };
  }
  const { Redis } = await import(path.join(repo, 'tests/signal/redis.mjs'));
  const redis = await Redis.start();
  servers.add(redis.child);
  const onRedis = { ...overrides, matcher: { backend: 'redis', 'redis-url': redis.url } };
  const nodes = [await startTurnpike(onRedis), await startTurnpike(onRedis)];
  for (const node of nodes) servers.add(node.child);
  return { nodes, redis };
}

async function matchingPhase(options, cluster) {
  const { nodes, redis } = await startNodes(cluster);
  const urls = nodes.map((n) => n.url);
  const pids = nodes.map((n) => n.child.pid);
  const cpu = () => pids.reduce((sum, pid) => sum + procStat(pid).cpuSeconds, 0);
  try {
    const sdp = offer();
    const per = Math.floor(options.clients / options.workers / 2) * 2;
    const workers = Array.from({ length: options.workers }, (_, w) => new Worker(fileURLToPath(import.meta.url), {
      workerData: { urls, clients: per, seconds: options.seconds, sdp, base: w * per },
    }));
    const failed = new Promise((resolve, reject) => {
      for (const w of workers) w.once('error', (e) => reject(new Error(`load worker failed: ${e.stack ?? e}`)));
    });
    await Promise.race([failed, Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))))]);
    const results = workers.map((w) => Promise.race([failed,
      new Promise((resolve) => w.on('message', (m) => { if (m.matches !== undefined) resolve(m); }))]));
    const before = cpu();
    const redisBefore = redis ? procStat(redis.child.pid).cpuSeconds : 0;
    for (const w of workers) w.postMessage('go');
    const latency = probeLatency([urls[0], urls[urls.length - 1]], options.probes,
      Date.now() + options.seconds * 1000 - 500);
    const done = await Promise.all(results);
    const after = cpu();
    const redisCpu = redis ? procStat(redis.child.pid).cpuSeconds - redisBefore : 0;
    const samples = await latency;
    const matches = done.reduce((s, r) => s + r.matches, 0);
    const elapsed = Math.max(...done.map((r) => r.elapsed));
    return {
      nodes: nodes.length,
      clients: per * options.workers,
      matches,
      matches_per_second: matches / elapsed,
      server_cpu_us_per_match: ((after - before) * 1e6) / matches,
      server_cpu_cores: (after - before) / elapsed,
      redis_cpu_cores: redisCpu / elapsed,
      errors: done.reduce((s, r) => s + r.errors, 0),
      latency_samples: samples.length,
      latency_p50_ms: percentile(samples, 50),
      latency_p99_ms: percentile(samples, 99),
    };
  } finally {
    for (const node of nodes) {
      node.child.kill('SIGKILL');
      await node.exited;
    }
    await redis?.stop();
  }
}

async function main() {
const options = parseArgs(process.argv.slice(2));
process.env.TURNPIKE_BIN ??= path.join(repo, options.build, 'turnpike');
console.log(`bench/signal: ${os.cpus().length} cores, turnpike at ${process.env.TURNPIKE_BIN}`);
const idle = options.idle > 0 ? await idlePhase(options) : null;
const matching = await matchingPhase(options, false);
const cluster = options.cluster ? await matchingPhase(options, true) : null;
const rows = [];
if (idle) {
  rows.push([`idle: sessions held (each past hello)`, idle.sessions.toLocaleString('en-US')]);
  rows.push(['idle: server RSS growth per session (bytes)', Math.round(idle.bytes_per_session).toLocaleString('en-US')]);
  rows.push([`idle: server RSS with ${idle.sessions.toLocaleString('en-US')} sessions (MiB)`, idle.rss_after_mib.toFixed(1)]);
  rows.push(['idle: sessions opened per second', Math.round(idle.opened_per_second).toLocaleString('en-US')]);
  rows.push(['idle: find->waiting round trip p50 while they are held (ms)', idle.round_trip_p50_ms.toFixed(2)]);
  rows.push(['idle: find->waiting round trip p99 while they are held (ms)', idle.round_trip_p99_ms.toFixed(2)]);
}
const both = (f) => [f(matching), cluster ? f(cluster) : '-'];
rows.push([`matching (${matching.clients} clients): matches per second`, ...both((m) => Math.round(m.matches_per_second).toLocaleString('en-US'))]);
rows.push(['matching: signal server CPU per match, all nodes (us)', ...both((m) => m.server_cpu_us_per_match.toFixed(1))]);
rows.push(['matching: signal server CPU used, all nodes (cores)', ...both((m) => m.server_cpu_cores.toFixed(2))]);
rows.push(['matching: redis-server CPU used (cores)', ...both((m) => (m.nodes > 1 ? m.redis_cpu_cores.toFixed(2) : '-'))]);
rows.push(['matching: error messages received', ...both((m) => String(m.errors))]);
rows.push(['latency (partner waiting): probes', ...both((m) => String(m.latency_samples))]);
rows.push(['latency: find->matched p50 (ms)', ...both((m) => m.latency_p50_ms.toFixed(2))]);
rows.push(['latency: find->matched p99 (ms)', ...both((m) => m.latency_p99_ms.toFixed(2))]);
const width = Math.max(...rows.map((r) => r[0].length));
console.log(`| ${'metric'.padEnd(width)} | 1 node, in-process | 2 nodes, Redis |`);
console.log(`|${'-'.repeat(width + 2)}|-------------------:|---------------:|`);
for (const [k, v, c = ''] of rows) console.log(`| ${k.padEnd(width)} | ${v.padStart(18)} | ${c.padStart(14)} |`);
if (options.json) writeFileSync(options.json, JSON.stringify({ idle, matching, cluster }, null, 2));
}

if (isMainThread) {
  await main();
} else {
  await runWorker(workerData);  // then ends by itself: no sockets or timers are left
}
