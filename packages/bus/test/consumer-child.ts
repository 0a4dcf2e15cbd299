/**
 * A consumer in its own process, for the contract's SIGKILL test: a real crash (no `finally`, no close, no lock
 * release) is the only honest check of "a crash loses nothing".
 *
 * argv[2] is JSON `{adapter, options, group, hangAt}`. Prints `ack <ids>` for each batch it handled, and `hung` when it
 * reaches the batch holding event `hangAt`, which it never finishes: the parent kills it there.
 */
import { BullmqBus, LocalBus, type Bus, type BullmqBusOptions, type LocalBusOptions } from '../src/index.js';

export type ChildSpec =
  | { adapter: 'local'; options: LocalBusOptions; group: string; hangAt: string }
  | { adapter: 'bullmq'; options: BullmqBusOptions; group: string; hangAt: string };

const spec = JSON.parse(process.argv[2]!) as ChildSpec;
const bus: Bus = spec.adapter === 'local' ? new LocalBus(spec.options) : new BullmqBus(spec.options);
await bus.subscribe(spec.group, async (batch) => {
  const ids = batch.events.map((e) => e.id);
  if (ids.includes(spec.hangAt)) {
    process.stdout.write('hung\n');
    await new Promise(() => {});
  }
  process.stdout.write(`ack ${ids.join(' ')}\n`);
});
process.stdout.write('ready\n');
