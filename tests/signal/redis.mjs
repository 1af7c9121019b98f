// A real redis-server for the cluster tests: its own free loopback port, no
// persistence, stopped and started again at will.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { freePort, sleep } from './harness.mjs';

function ping(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(500, () => { socket.destroy(); resolve(false); });
    socket.on('error', () => resolve(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk;
      if (answer.includes('\r\n')) { socket.end(); resolve(answer.startsWith('+PONG')); }
    });
  });
}

export class Redis {
  static async start() {
    const redis = new Redis(await freePort());
    await redis.start();
    return redis;
  }

  constructor(port) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}/0`;
  }

  async start() {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1',
      '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    for (let i = 0; i < 250; i++) {
      if (await ping(this.port)) return;
      await sleep(20);
    }
    throw new Error('redis-server did not start');
  }

  async stop() {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
