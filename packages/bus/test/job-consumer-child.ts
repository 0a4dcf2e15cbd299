/**
 * A job consumer in its own process, for the JobQueue contract's SIGKILL test: a real crash (no `finally`, no close,
 * no lock release) is the only honest check that a dead consumer's job comes back.
 *
 * argv[2] is JSON `{adapter, options}`. Prints `took <n>` when it takes a job, which it never finishes: the parent
 * kills it there.
 */
import { BullmqJobQueue, LocalJobQueue, type BullmqJobQueueOptions, type JobQueue, type LocalJobQueueOptions } from '../src/index.js';

export type JobChildSpec =
  | { adapter: 'local'; options: LocalJobQueueOptions<{ n: number }> }
  | { adapter: 'bullmq'; options: BullmqJobQueueOptions<{ n: number }> };

const spec = JSON.parse(process.argv[2]!) as JobChildSpec;
const queue: JobQueue<{ n: number }> = spec.adapter === 'local' ? new LocalJobQueue(spec.options) : new BullmqJobQueue(spec.options);
await queue.process(async (job) => {
  process.stdout.write(`took ${job.n}\n`);
  await new Promise(() => {});
});
process.stdout.write('ready\n');
