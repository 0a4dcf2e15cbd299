// Entry of the embedded correlator's thread (see correlator-thread.ts). Threads do not inherit the main thread's
// TypeScript loader on Node 20, so register tsx here, then load the thread's module.
import { register } from 'tsx/esm/api';

register();
await import('./correlator-thread-main.ts');
