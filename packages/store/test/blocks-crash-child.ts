/**
 * Child of blocks-crash.test.ts: appends batches to the store at argv[2] as fast as it can, with the product's
 * settings (writer thread, synchronous FULL), and prints `acked <last id number>` after each acknowledged batch.
 */
import { BlockLogStore } from '../src/index.js';

const path = process.argv[2]!;
const store = new BlockLogStore({ path, writer: 'thread' });
await store.init();
const T0 = Date.parse('2026-02-01T00:00:00Z');
let next = 0;
for (;;) {
  const batch = Array.from({ length: 500 }, () => {
    const i = next++;
    return {
      '@timestamp': new Date(T0 + i).toISOString(),
      event: { id: `crash-${i}`, dataset: i % 3 ? 'container.logs' : 'kubernetes.audit' },
      message: `event number ${i} with some words to compress`,
      kubernetes: { namespace: `ns-${i % 5}`, pod: { name: `pod-${i % 50}`, uid: `uid-${i}` } },
    };
  });
  await store.append(batch as never);
  process.stdout.write(`acked ${next - 1}\n`);
}
