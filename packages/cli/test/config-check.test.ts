/**
 * `bulwark config check [file]` loads a configuration as a Bulwark process does (file, then BULWARK_* env on top) and
 * prints every problem with its path and source: exit 2 with problems, 0 when valid.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/main.js';
import type { CliRun } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-config-check-'));

function configFile(name: string, yaml: string): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

/** Runs the CLI with exactly `env` as its environment (never the test process's own BULWARK_* variables). */
async function check(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['config', ...argv], { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env });
  return { code, stdout, stderr };
}

describe('bulwark config check', () => {
  it('accepts a valid file and says which mode it configures (exit 0)', async () => {
    const file = configFile('good.yaml', 'data_dir: /var/lib/bulwark\nresponder:\n  http: { allow_cidrs: [10.0.0.0/8] }\n');
    const run = await check(['check', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, new RegExp(`^${file}: valid; embedded mode: SQLite in /var/lib/bulwark`));
  });

  it('prints every problem of the file with its path and source (exit 2)', async () => {
    const file = configFile(
      'bad.yaml',
      [
        'server: { port: 99999 }',
        'responder:',
        "  kube: { server: 'https://kube.example.com:6443' }",
        "  http: { allow_cidrs: ['10.0.0.0/8', '10.0.0.0/40'] }",
        "  smtp: { host: mail.example.com, port: 587, secure: true, from: 'not-an-address' }",
        'bogus: 1',
        '',
      ].join('\n'),
    );
    const run = await check(['check', file]);
    assert.equal(run.code, 2);
    const lines = run.stderr.trim().split('\n');
    for (const path of ['server.port', 'responder.kube.token_file', 'responder.http.allow_cidrs.1', 'responder.smtp.secure', 'responder.smtp.from', 'bogus']) {
      assert.ok(lines.some((l) => l.startsWith(`${path}: `) && l.endsWith(`(from ${file})`)), `${path} missing in:\n${run.stderr}`);
    }
    assert.equal(lines.length, 6, run.stderr);
    assert.match(run.stdout, /: 6 problems\n$/);
  });

  it('applies BULWARK_* env over the file as the service would, naming the variable', async () => {
    const file = configFile('scale.yaml', 'store: { type: opensearch, url: http://os:9200 }\nbus: { redis_url: redis://r:6379 }\n');
    assert.equal((await check(['check', file])).code, 0);
    const run = await check(['check', file], { BULWARK_REDIS_URL: 'http://not-redis', BULWARK_TYPO: '1' });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^bus\.redis_url: .* \(from BULWARK_REDIS_URL\)$/m);
    assert.match(run.stderr, /^BULWARK_TYPO: unknown environment variable/m);
  });

  it('without a file argument checks BULWARK_CONFIG, and an unreadable file is a problem', async () => {
    const file = configFile('env.yaml', 'responder:\n  smtp: { host: mail, user: u, from: a@example.com }\n');
    const run = await check(['check'], { BULWARK_CONFIG: file });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^responder\.smtp\.password_ref: is required with smtp\.user/m);
    const missing = await check(['check', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^\(file\): cannot read/m);
  });

  it('refuses unknown subcommands and extra arguments as usage errors, and prints help', async () => {
    assert.equal((await check(['lint'])).code, 2);
    assert.equal((await check(['check', 'a.yaml', 'b.yaml'])).code, 2);
    const help = await check(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: bulwark config check \[file\]/);
  });
});
