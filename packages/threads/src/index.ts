/**
 * The one way Bulwark starts a worker thread on one of its own modules — the SQLite writer, the collector's decode
 * pool, the embedded correlator — so each works the same under tsx (tests, scripts) and as compiled JavaScript. Every
 * thread starts in `thread-entry.mjs`, which registers tsx only when the module is TypeScript and then imports it.
 *
 * The module is named relative to the caller without an extension and takes the caller's own: a `.ts` caller runs
 * under tsx and gets the `.ts` module, a compiled `.js` caller the `.js` one.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Where `thread-entry.mjs` finds the module to load in the thread's `workerData`. */
export const THREAD_MODULE_KEY = '__bulwarkThreadModule';

const ENTRY = new URL('./thread-entry.mjs', import.meta.url);

export interface ThreadModule {
  /** file: URL of the module. */
  url: string;
  /** For a pool: the export to run tasks with (default: the default export). */
  export?: string;
}

/** The module `specifier` (relative, no extension) beside `parent` (the caller's `import.meta.url`), in its language. */
export function moduleBeside(parent: string, specifier: string): string {
  const extension = new URL(parent).pathname.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`${specifier}${extension}`, parent).href;
}

function withModule(workerData: Record<string, unknown> | undefined, module: ThreadModule): Record<string, unknown> {
  return { ...workerData, [THREAD_MODULE_KEY]: module };
}

export interface ThreadOptions extends Omit<WorkerOptions, 'eval' | 'workerData'> {
  /** What the thread's module reads as `workerData` (a plain object; the entry adds one key of its own). */
  workerData?: Record<string, unknown>;
}

/** Starts a thread running the module `specifier` beside `parent`. */
export function startThread(parent: string, specifier: string, options: ThreadOptions = {}): Worker {
  return new Worker(ENTRY, { ...options, workerData: withModule(options.workerData, { url: moduleBeside(parent, specifier) }) });
}

/**
 * The `filename` and `workerData` of a thread pool (Piscina) whose tasks run `exportName` of the module `specifier`
 * beside `parent`: spread them into the pool's options.
 */
export function pooledThread(parent: string, specifier: string, exportName: string, workerData?: Record<string, unknown>): { filename: string; workerData: Record<string, unknown> } {
  return { filename: ENTRY.href, workerData: withModule(workerData, { url: moduleBeside(parent, specifier), export: exportName }) };
}
