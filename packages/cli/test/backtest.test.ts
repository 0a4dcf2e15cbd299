// services: process
/**
 * `bulwark rules backtest` against a real embedded store: events are appended to a SQLite data dir through the store
 * (out of event-time order, as shippers deliver them), then the CLI reads them back oldest first. One test spawns the
 * real command (bin/bulwark.mjs) as an operator would; the rest run it in-process with an injected environment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BlockLogStore } from '@bulwark/store';
import type { Event } from '@bulwark/schema';
import { runCli } from '../src/main.js';
import { auditEvent, EXEC_BURST, EXEC_RULE, REPO_ROOT, ruleDir, type CliRun } from './helpers.js';

const EXEC_ID = '0b5a8f4e-1c2d-4e3f-9a8b-7c6d5e4f3a2b';
const BURST_ID = '5f0c3a1e-8d2b-4c7e-9a6f-1b2c3d4e5f60';
const POD_EXEC_ATTACH = '1fea1988-ca78-480b-a140-a99798d3a434'; // rules/kubernetes/pod_exec_attach.yml
const RANGE = ['--from', '2026-11-29T09:00:00Z', '--to', '2026-11-29T12:00:00Z'];

/** A data dir whose store holds: alice execs at 10:00, 10:03, 10:09 (stored last first), a bob exec, a log read. */
async function dataDir(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-backtest-'));
  const store = new BlockLogStore({ path: join(dir, 'bulwark.db'), writer: 'inline' });
  await store.init();
  const events = [
    auditEvent('a3', 'exec', '2026-11-29T10:09:00Z'),
    auditEvent('b1', 'exec', '2026-11-29T10:05:00Z', 'bob'),
    auditEvent('a1', 'exec', '2026-11-29T10:00:00Z'),
    auditEvent('l1', 'log', '2026-11-29T10:01:00Z'),
    auditEvent('a2', 'exec', '2026-11-29T10:03:00Z'),
    auditEvent('late', 'exec', '2026-11-29T13:00:00Z'), // outside the range
  ];
  await store.append(events as unknown as Event[]);
  await store.close();
  return dir;
}

const DATA = dataDir();
const RULES = ruleDir({ 'exec.yml': EXEC_RULE, 'burst.yml': EXEC_BURST });

async function run(env: Record<string, string>, ...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env });
  return { code, stdout, stderr };
}
const inData = async (...argv: string[]) => run({ BULWARK_DATA_DIR: await DATA }, ...argv);

test('the spawned command backtests a rule file over the stored range and prints JSON', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(REPO_ROOT, 'packages/cli/bin/bulwark.mjs'), 'rules', 'backtest', join(RULES, 'exec.yml'), ...RANGE, '--json'],
    { env: { PATH: process.env.PATH ?? '', BULWARK_DATA_DIR: await DATA } },
  );
  const result = JSON.parse(stdout);
  assert.equal(result.scanned, 5);
  assert.equal(result.matches, 4);
  assert.equal(result.truncated, false);
  assert.deepEqual(result.hits.map((h: { event_ids: string[] }) => h.event_ids[0]), ['a1', 'a2', 'b1', 'a3']);
  assert.equal(result.from, '2026-11-29T09:00:00.000Z');
  assert.deepEqual(result.by_rule[EXEC_ID].matches, 4);
});

test('a correlation given by id fires over history stored out of order, with its window and group', async () => {
  const { code, stdout, stderr } = await inData('rules', 'backtest', BURST_ID, '--rules', RULES, ...RANGE, '--json');
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout);
  assert.equal(result.matches, 1);
  assert.deepEqual(result.hits[0].group, { 'user.username': 'alice' });
  assert.deepEqual(result.hits[0].event_ids, ['a1', 'a2', 'a3']);
  assert.deepEqual(result.hits[0].window, { start: '2026-11-29T10:00:00.000Z', end: '2026-11-29T10:09:00.000Z' });
  assert.equal(result.by_rule[EXEC_ID].matches, 4);
});

test('a bundled rule by id (default --rules), as a readable table', async () => {
  const { code, stdout } = await inData('rules', 'backtest', POD_EXEC_ATTACH, ...RANGE);
  assert.equal(code, 0);
  assert.match(stdout, /^rule +Command executed in or attached to a pod \(1fea1988-ca78-480b-a140-a99798d3a434\) \[rule, medium\]$/m);
  assert.match(stdout, /^scanned +5 events; 4 would have fired$/m);
  assert.match(stdout, /^2026-11-29T10:00:00.000Z +2026-11-29T10:00:00.000Z +a1/m);
  assert.doesNotMatch(stdout, /TRUNCATED/);
});

test('--limit lists fewer hits but counts them all; --max-events truncates the scan and says where', async () => {
  const limited = JSON.parse((await inData('rules', 'backtest', join(RULES, 'exec.yml'), ...RANGE, '--limit', '1', '--json')).stdout);
  assert.equal(limited.matches, 4);
  assert.equal(limited.hits.length, 1);
  assert.equal(limited.hits_omitted, 3);
  const cut = await inData('rules', 'backtest', join(RULES, 'exec.yml'), ...RANGE, '--max-events', '2');
  assert.equal(cut.code, 0);
  assert.match(cut.stdout, /^scanned +2 events; 1 would have fired$/m);
  assert.match(cut.stdout, /TRUNCATED: stopped after --max-events 2 at 2026-11-29T10:01:00.000Z/);
});

test('relative times select nothing from a store whose events are older', async () => {
  const { code, stdout } = await inData('rules', 'backtest', join(RULES, 'exec.yml'), '--from', 'now-1h', '--json');
  assert.equal(code, 0);
  assert.equal(JSON.parse(stdout).scanned, 0);
});

test('usage and configuration errors exit 2 with a clear message; unknown or broken rules exit 1', async () => {
  const file = join(RULES, 'exec.yml');
  const cases: Array<[string[], Record<string, string> | null, number, RegExp]> = [
    [[file], null, 2, /needs --from/],
    [[file, '--from', 'yesterday'], null, 2, /--from 'yesterday': must be ISO 8601/],
    [[file, '--from', 'now', '--to', 'now-1h'], null, 2, /must be before --to/],
    [[file, ...RANGE, '--limit', '1.5'], null, 2, /--limit '1.5': must be a whole number/],
    [[file, ...RANGE, '--frm', 'x'], null, 2, /Unknown option '--frm'/],
    [[file, ...RANGE], { BULWARK_DATA_DIR: join(tmpdir(), 'bulwark-nothing-here') }, 2, /no event store at/],
    [[file, ...RANGE], { BULWARK_STORE: 'mongodb' }, 2, /invalid configuration/],
    [['no-such-rule', ...RANGE], null, 1, /no rule with that id or name/],
    [[RULES, ...RANGE], null, 2, /is a directory/],
  ];
  for (const [args, env, code, message] of cases) {
    const result = env ? await run(env, 'rules', 'backtest', ...args) : await inData('rules', 'backtest', ...args);
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
  }
  const broken = join(mkdtempSync(join(tmpdir(), 'bulwark-broken-')), 'broken.yml');
  writeFileSync(broken, EXEC_RULE.replace('level: medium', 'level: severe'));
  const bad = await inData('rules', 'backtest', broken, ...RANGE);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /broken\.yml: level: /);
});
