/**
 * `bulwark rules backtest` resolves a rule as the API's `rule_id` does (detection's `deploymentRules`): an id or name
 * among `detection.rules_dir` of the configuration (`--config`, else BULWARK_CONFIG; BULWARK_RULES_DIR on top), else
 * the bundled rules, compiled with the configured `detection.placeholders` and `detection.logsources`; `--rules`
 * overrides the directory. Events are in a real SQLite store in the configured data dir; the CLI runs in-process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Event } from '@bulwark/schema';
import { BlockLogStore } from '@bulwark/store';
import { runCli } from '../src/main.js';
import { auditEvent, EXEC_RULE, ruleDir, type CliRun } from './helpers.js';

const ADMIN_EXEC_ID = '7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const NGINX_ID = '2a3b4c5d-6e7f-4081-9a2b-3c4d5e6f7a8b';
const RANGE = ['--from', '2026-11-29T09:00:00Z', '--to', '2026-11-29T12:00:00Z', '--json'];

/** Execs by the placeholder's members only: compiles only where `%admins%` has a value. */
const ADMIN_EXEC = `title: exec by an administrator
id: ${ADMIN_EXEC_ID}
status: test
logsource: {product: kubernetes, service: audit}
detection:
  exec:
    objectRef.subresource: exec
  admin:
    user.username|expand: '%admins%'
  condition: exec and admin
level: high
`;

/** A product the built-in logsource table does not know: its datasets come from `detection.logsources`. */
const NGINX_RULE = `title: nginx server errors
id: ${NGINX_ID}
status: test
logsource: {product: nginx}
detection:
  keywords: [error]
  condition: keywords
level: low
`;

const RULES = ruleDir({ 'admin-exec.yml': ADMIN_EXEC, 'nginx.yml': NGINX_RULE });
let dataDir: string;

function configFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bulwark-backtest-config-')), 'bulwark.yaml');
  writeFileSync(file, `data_dir: ${dataDir}\n${yaml}`);
  return file;
}

async function backtest(env: Record<string, string>, ...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['rules', 'backtest', ...argv], { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env });
  return { code, stdout, stderr };
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'bulwark-backtest-data-'));
  const store = new BlockLogStore({ path: join(dataDir, 'bulwark.db'), writer: 'inline' });
  await store.init();
  const events = [
    auditEvent('alice-1', 'exec', '2026-11-29T10:00:00Z', 'alice'),
    auditEvent('bob-1', 'exec', '2026-11-29T10:01:00Z', 'bob'),
    auditEvent('carol-1', 'exec', '2026-11-29T10:02:00Z', 'carol'),
    auditEvent('alice-2', 'exec', '2026-11-29T10:03:00Z', 'alice'),
  ];
  await store.append(events as unknown as Event[]);
  await store.close();
});

describe('rules backtest resolves rules from the configuration', () => {
  it('an id in detection.rules_dir of --config, compiled with its placeholders', async () => {
    const file = configFile(`detection:\n  rules_dir: ${RULES}\n  placeholders: { admins: [alice, carol] }\n`);
    const run = await backtest({}, ADMIN_EXEC_ID, '--config', file, ...RANGE);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.rule.id, ADMIN_EXEC_ID);
    assert.deepEqual(result.hits.map((h: { event_ids: string[] }) => h.event_ids[0]), ['alice-1', 'carol-1', 'alice-2']);
  });

  it('the same from BULWARK_CONFIG, with BULWARK_RULES_DIR on top of the file', async () => {
    const file = configFile(`detection:\n  placeholders: { admins: bob }\n`);
    const run = await backtest({ BULWARK_CONFIG: file, BULWARK_RULES_DIR: RULES }, ADMIN_EXEC_ID, ...RANGE);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).hits.map((h: { event_ids: string[] }) => h.event_ids[0]), ['bob-1']);
  });

  it('a rule file given by path also compiles with the configured placeholders', async () => {
    const file = configFile(`detection:\n  placeholders: { admins: [carol] }\n`);
    const run = await backtest({}, join(RULES, 'admin-exec.yml'), '--config', file, ...RANGE);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).hits.map((h: { event_ids: string[] }) => h.event_ids[0]), ['carol-1']);
  });

  it('without the placeholder configured the rule does not compile, as at the correlator', async () => {
    const file = configFile(`detection:\n  rules_dir: ${RULES}\n`);
    const run = await backtest({}, ADMIN_EXEC_ID, '--config', file, ...RANGE);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /placeholder '%admins%' has no configured value/);
  });

  it('configured logsources decide the datasets a rule reads', async () => {
    const file = configFile(`detection:\n  rules_dir: ${RULES}\n  logsources: [{ product: nginx, datasets: [nginx.error] }]\n`);
    const run = await backtest({}, NGINX_ID, '--config', file, ...RANGE);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).datasets, ['nginx.error']);
  });

  it('without rules_dir an id resolves among the bundled rules only; --rules overrides the configured directory', async () => {
    const bundled = await backtest({}, ADMIN_EXEC_ID, '--config', configFile(''), ...RANGE);
    assert.equal(bundled.code, 1);
    assert.match(bundled.stderr, /no rule with that id or name in .*rules/);

    const other = ruleDir({ 'exec.yml': EXEC_RULE });
    const file = configFile(`detection:\n  rules_dir: ${RULES}\n  placeholders: { admins: [alice] }\n`);
    const overridden = await backtest({}, ADMIN_EXEC_ID, '--config', file, '--rules', other, ...RANGE);
    assert.equal(overridden.code, 1);
    assert.ok(overridden.stderr.includes(`no rule with that id or name in ${other}`), overridden.stderr);
  });

  it('a --config with problems exits 2 listing them', async () => {
    const run = await backtest({}, ADMIN_EXEC_ID, '--config', configFile('detection:\n  rules_dir: /no/such/rules\n'), ...RANGE);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /detection\.rules_dir: no such directory: \/no\/such\/rules/);
  });
});
