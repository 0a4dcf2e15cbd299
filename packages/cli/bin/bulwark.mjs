#!/usr/bin/env node
// The `bulwark` command. The sources are TypeScript run through tsx (as every Bulwark entry point is), so the
// loader is registered before main.ts is imported; main.ts exports `runCli`, which does the work.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/main.ts');
process.exitCode = await runCli(process.argv.slice(2), process);
