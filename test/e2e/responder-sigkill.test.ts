// services: process
/**
 * A responder killed with SIGKILL in the middle of a run resumes it without repeating completed
 * steps. The real `npm start` process (embedded: SQLite journal, in-process queue) runs a three-step playbook whose
 * steps call a real local HTTP server; the second call hangs, the process is killed while it is in flight, and a new
 * process on the same data directory finishes the run: the first call was made once, the interrupted one is made
 * again with the same idempotency key (the receiver can tell it is a retry), the last once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listeningPort } from '../support/process.js';
import { THREE_CALLS } from '../support/playbooks.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { serviceScript } from '../support/npm-script.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = `bwk_sigkill_${'k'.repeat(32)}`;


function start(dir: string, config: string): { child: ChildProcess; ready: Promise<{ port: number }> } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('BULWARK_')) env[k] = v;
  const start = serviceScript('all-in-one');
  const child = spawn(start.command, start.args, {
    cwd: root,
    env: { ...env, BULWARK_CONFIG: config, BULWARK_DATA_DIR: dir, BULWARK_PORT: '0', BULWARK_HOST: '127.0.0.1', BULWARK_BOOTSTRAP_TOKEN: TOKEN, BULWARK_CORRELATOR: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, ready: listeningPort(child) };
}

describe('a responder killed with SIGKILL mid-run', () => {
  let receiver: RecordingServer;
  let dir: string;
  const children: ChildProcess[] = [];
  before(async () => {
    receiver = await startRecordingServer();
    dir = mkdtempSync(join(tmpdir(), 'bwk-sigkill-'));
    mkdirSync(join(dir, 'playbooks'));
    writeFileSync(join(dir, 'playbooks', 'three-calls.yml'), THREE_CALLS);
    writeFileSync(
      join(dir, 'config.yml'),
      `responder:\n  playbooks_dir: ${join(dir, 'playbooks')}\n  http:\n    allow_hosts: ['127.0.0.1']\n    allow_cidrs: ['127.0.0.0/8']\n`,
    );
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes the run in a new process: completed steps are not repeated', async () => {
    // The first /slow call hangs until the process is dead; the retry is answered at once.
    let slowCalls = 0;
    receiver.respond((req) => (req.path === '/slow' && ++slowCalls === 1 ? { delayMs: 60_000 } : { status: 200, body: { ok: true } }));
    const first = start(dir, join(dir, 'config.yml'));
    children.push(first.child);
    const { port } = await first.ready;
    const res = await fetch(`http://127.0.0.1:${port}/v1/playbooks/three-calls/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { base: receiver.url } }),
    });
    assert.equal(res.status, 202, await res.clone().text());
    const runId = ((await res.json()) as { id: string }).id;
    await receiver.waitFor(2, 15_000); // /first answered, /slow in flight
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = start(dir, join(dir, 'config.yml'));
    children.push(second.child);
    const { port: port2 } = await second.ready;
    type Run = { status: string; steps: Array<{ id: string; status: string; attempts: number }> };
    let run: Run;
    const deadline = Date.now() + 30_000;
    for (;;) {
      run = (await (await fetch(`http://127.0.0.1:${port2}/v1/runs/${runId}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Run;
      if (run.status === 'succeeded' || run.status === 'failed') break;
      assert.ok(Date.now() < deadline, `the run finished after the restart: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    const paths = receiver.requests.map((r) => r.path);
    assert.deepEqual(paths.filter((p) => p === '/first'), ['/first'], 'the completed step was not repeated');
    assert.deepEqual(paths.filter((p) => p === '/slow'), ['/slow', '/slow'], 'the interrupted step was made again');
    assert.deepEqual(paths.filter((p) => p === '/last'), ['/last']);
    const slowKeys = receiver.requests.filter((r) => r.path === '/slow').map((r) => r.headers['idempotency-key']);
    assert.equal(slowKeys[0], `${runId}/slow`);
    assert.equal(slowKeys[1], slowKeys[0], 'the retry carries the same idempotency key');
    assert.deepEqual(run.steps.map((s) => [s.id, s.status, s.attempts]), [['first', 'succeeded', 1], ['slow', 'succeeded', 2], ['last', 'succeeded', 1]]);
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
  });
});
