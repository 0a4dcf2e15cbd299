#!/usr/bin/env node
// The `bulwark` command: the compiled CLI (dist/, built by `npm install` or `npm run build`). main.js exports
// `runCli`, which does the work; tests call it from source instead.
import { runCli } from '../dist/main.js';

process.exitCode = await runCli(process.argv.slice(2), process);
