// Entry of a decode thread (see decoder.ts). Threads do not inherit the main thread's TypeScript loader on Node 20,
// so register tsx here, then load the task module.
import { register } from 'tsx/esm/api';

register();
const { runDecodeTask } = await import('./decode-task.ts');

export default runDecodeTask;
