// The first module of every Bulwark worker thread (see index.ts): plain JavaScript, so it loads the same under tsx and
// compiled. Node 20 threads do not inherit the main thread's TypeScript loader, so when the thread's module is
// TypeScript, tsx is registered here — and only here — before it is imported.
import { workerData } from 'node:worker_threads';

const target = workerData?.__bulwarkThreadModule;
if (!target || typeof target.url !== 'string') {
  throw new TypeError('thread-entry.mjs was started without a module to load: start threads with @bulwark/threads');
}
if (target.url.endsWith('.ts')) (await import('tsx/esm/api')).register();
const loaded = await import(target.url);

// A pool's task function (Piscina calls the default export); a thread that runs by itself exports nothing.
export default target.export ? loaded[target.export] : loaded.default;
