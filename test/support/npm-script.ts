/**
 * The command line of an npm script (package.json `scripts`), for tests that start a Bulwark service as a process:
 * they run exactly what `npm start` (or `npm run start:collector`, …) runs — the compiled JavaScript in dist/ with
 * the script's Node flags — under this test's Node binary, without npm in between (npm would stand between the test
 * and the process's signals and exit code).
 *
 * dist/ must match the sources or the test would prove old code: `node test/run.mjs` builds before any file runs
 * (and says so with BWK_TEST_BUILT); a file run on its own builds here, once per test process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

let built = process.env.BWK_TEST_BUILT === '1';

/** Brings dist/ and the console bundle up to date (`npm run build`), once per process. */
export function ensureBuilt(): void {
  if (built) return;
  const r = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-b', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed, so no service can be started from dist/:\n${r.stdout}${r.stderr}`);
  const ui = spawnSync(join(root, 'node_modules/.bin/vite'), ['build', '--config', 'packages/console/vite.config.ts', '--logLevel', 'warn'], { cwd: root, encoding: 'utf8' });
  if (ui.status !== 0) throw new Error(`npm run build:console failed, so the console served would be stale:\n${ui.stdout}${ui.stderr}`);
  built = true;
}

export interface ScriptCommand {
  /** This test's Node binary. */
  command: string;
  /** The script's arguments after `node`: its flags and its entry file (absolute). */
  args: string[];
  /** The entry file, e.g. `<root>/services/all-in-one/dist/main.js`. */
  entry: string;
}

/** What `npm run <script>` runs, e.g. `npmScript('start')`. The script must be `node [flags] <file.js>`. */
export function npmScript(script: string): ScriptCommand {
  const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<string, string>;
  const line = scripts[script];
  if (!line) throw new Error(`package.json has no script '${script}'`);
  const [program, ...words] = line.trim().split(/\s+/);
  const file = words.at(-1);
  if (program !== 'node' || !file?.endsWith('.js')) throw new Error(`script '${script}' is not 'node [flags] <file.js>': ${line}`);
  ensureBuilt();
  const entry = join(root, file);
  if (!existsSync(entry)) throw new Error(`${entry} is missing after the build: is '${script}' pointing at a compiled service?`);
  return { command: process.execPath, args: [...words.slice(0, -1), entry], entry };
}

/** The npm script that starts a service by itself: `start` for the all-in-one, `start:<name>` for the others. */
export function serviceScript(service: 'all-in-one' | 'collector' | 'api' | 'correlator' | 'responder'): ScriptCommand {
  return npmScript(service === 'all-in-one' ? 'start' : `start:${service}`);
}
