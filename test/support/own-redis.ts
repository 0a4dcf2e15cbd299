/**
 * A Redis server of the test's own, on a free loopback port, for tests that stop, pause or kill Redis: the suite's
 * shared Redis (REDIS_URL) serves every other test and session on the machine and must never be stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** SIGSTOP: Redis keeps its connections open and answers nothing (a hung dependency). */
  pause(): void;
  resume(): void;
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>;
}

/** A port the kernel just handed out and nobody holds. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `redis-server` (Debian's binary) without persistence and waits until it answers PING. */
export async function startOwnRedis(port?: number): Promise<OwnRedis> {
  const at = port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(at), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${at}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  try {
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} (is redis-server installed?)`);
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') break;
      } catch {
        if (attempt > 100) throw new Error(`redis-server did not answer on ${url}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } finally {
    probe.disconnect();
  }
  return {
    url,
    port: at,
    child,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
