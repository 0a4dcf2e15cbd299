// A node:test reporter for the unit loop (test/run.mjs --unit): one JSON line per top-level test — the file that
// defined it and how long it ran — so the next run can balance its processes by measured time, not file counts.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export default async function* unitTimes(source) {
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      const file = relative(root, event.data.file.startsWith('file:') ? fileURLToPath(event.data.file) : event.data.file);
      yield `${JSON.stringify({ file, ms: Math.round(event.data.details.duration_ms) })}\n`;
    }
  }
}
