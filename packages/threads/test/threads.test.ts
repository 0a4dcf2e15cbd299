/**
 * The one way Bulwark starts threads on its own modules: a TypeScript module under tsx, the compiled JavaScript one
 * without it, and a pool's named task function — each started through thread-entry.mjs, run in a real thread.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { moduleBeside, pooledThread, startThread } from '../src/index.js';

function firstMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the thread exited (${code}) before answering`)));
  });
}

describe('@bulwark/threads', () => {
  it('names the module in the caller’s language: .ts beside a .ts caller, .js beside a compiled one', () => {
    assert.equal(moduleBeside('file:///app/src/a.ts', './b'), 'file:///app/src/b.ts');
    assert.equal(moduleBeside('file:///app/dist/a.js', './b'), 'file:///app/dist/b.js');
    assert.equal(moduleBeside('file:///app/dist/a.js', '../lib/c'), 'file:///app/lib/c.js');
  });

  it('starts a TypeScript thread module under tsx, with its own workerData', async () => {
    const worker = startThread(new URL('./fixtures/caller.ts', import.meta.url).href, './echo-thread', { workerData: { value: 21 } });
    try {
      assert.deepEqual(await firstMessage(worker), { doubled: 42, language: 'typescript' });
    } finally {
      await worker.terminate();
    }
  });

  it('starts the compiled JavaScript module when the caller is compiled', async () => {
    const worker = startThread(new URL('./fixtures/caller.js', import.meta.url).href, './echo-thread', { workerData: { value: 5 } });
    try {
      assert.deepEqual(await firstMessage(worker), { doubled: 10, language: 'javascript' });
    } finally {
      await worker.terminate();
    }
  });

  it('runs a pool’s tasks with the named export of a TypeScript module', async () => {
    const pool = new Piscina({ ...pooledThread(new URL('./fixtures/caller.ts', import.meta.url).href, './pool-task', 'square'), maxThreads: 1 });
    try {
      assert.deepEqual(await Promise.all([pool.run(3), pool.run(12)]), [9, 144]);
    } finally {
      await pool.destroy();
    }
  });

  it('a thread started without a module to load fails with a reason, instead of doing nothing', async () => {
    const { Worker } = await import('node:worker_threads');
    const worker = new Worker(new URL('../src/thread-entry.mjs', import.meta.url), { workerData: {} });
    await assert.rejects(firstMessage(worker), /without a module to load/);
  });
});
