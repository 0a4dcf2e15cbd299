/**
 * `npm run docs:shippers`: writes each shipper config of test/shippers/configs/ into the README, between its
 * `<!-- shipper-config:<file> -->` markers, rendered with the README's placeholders (configs.ts). The shipper suite
 * fails while the README differs (documented.shipper.ts), so an edit goes to the config file, which a test runs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { currentBlock, readmeBlock, SHIPPER_CONFIGS } from './configs.js';

const readmePath = fileURLToPath(new URL('../../README.md', import.meta.url));
let readme = readFileSync(readmePath, 'utf8');
const missing: string[] = [];
for (const config of SHIPPER_CONFIGS) {
  const block = currentBlock(readme, config.file);
  if (block === undefined) missing.push(config.file);
  else readme = readme.replace(block, () => readmeBlock(config));
}
if (missing.length > 0) {
  // Where a block goes is a writing decision: place its markers by hand once, then this keeps the text in step.
  console.error(`README has no markers for ${missing.join(', ')}: add "<!-- shipper-config:<file> ... -->" and "<!-- /shipper-config -->" lines where each belongs`);
  process.exit(1);
}
writeFileSync(readmePath, readme);
console.log(`README: ${SHIPPER_CONFIGS.length} shipper configs written`);
