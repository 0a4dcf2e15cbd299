/** The rule index: rules run only on their datasets, and hinted rules only when their exact value is present. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRules, loadRule, type SigmaRule } from '../src/index.js';
import { auditEvent, ruleYaml } from './helpers.js';

const FALCO = 'product: falco';

function rule(detection: string, file: string, logsource?: string): SigmaRule {
  return loadRule(ruleYaml(detection, logsource), file);
}

const podExec = rule('sel:\n  verb: create\n  objectRef.subresource: exec\ncondition: sel', 'exec.yml');
const secretsRead = rule("sel:\n  verb: [get, list]\n  objectRef.resource: secrets\ncondition: sel", 'secrets.yml');
const anyDenied = rule('sel:\n  responseStatus.code|gte: 400\ncondition: sel', 'denied.yml');
const notKubectl = rule("sel:\n  verb: delete\nfilter:\n  userAgent|startswith: kubectl\ncondition: sel and not filter", 'delete.yml');
const shellInContainer = rule(
  "sel:\n  falco.output_fields.proc.name: [sh, bash]\ncondition: sel",
  'shell.yml',
  FALCO,
);

const events = [
  auditEvent({ verb: 'create', objectRef: { resource: 'pods', subresource: 'exec' }, responseStatus: { code: 101 } }),
  auditEvent({ verb: 'list', objectRef: { resource: 'secrets' }, responseStatus: { code: 403 } }),
  auditEvent({ verb: 'GET', objectRef: { resource: 'secrets' }, responseStatus: { code: 200 } }),
  auditEvent({ verb: 'delete', objectRef: { resource: 'events' }, userAgent: 'curl/8', responseStatus: { code: 200 } }),
  auditEvent({ verb: 'delete', objectRef: { resource: 'events' }, userAgent: 'kubectl/1.31', responseStatus: { code: 200 } }),
  { event: { id: 'f1', dataset: 'falco.alerts' }, falco: { output_fields: { 'proc.name': 'bash' } } },
  { event: { id: 'x', dataset: 'container.logs' }, message: 'hello' },
];

const BASE = [podExec, secretsRead, anyDenied, notKubectl, shellInContainer];
const names = (set: ReturnType<typeof compileRules>) => events.map((e) => set.match(e).map((m) => m.rule.file).join(','));

describe('RuleSet', () => {
  it('returns every matching rule, in rule order, and nothing for other datasets', () => {
    assert.deepEqual(names(compileRules(BASE)), [
      'exec.yml',
      'secrets.yml,denied.yml',
      'secrets.yml',
      'delete.yml',
      '',
      'shell.yml',
      '',
    ]);
  });

  it('says which datasets its rules read, so a consumer can skip the others unparsed', () => {
    const set = compileRules(BASE);
    assert.equal(set.readsDataset('kubernetes.audit'), true);
    assert.equal(set.readsDataset('falco.alerts'), true);
    assert.equal(set.readsDataset('container.logs'), false);
    assert.equal(set.readsDataset(null), false);
    // What readsDataset rules out, match would have answered empty.
    for (const event of events) if (!set.readsDataset((event as { event: { dataset: string } }).event.dataset)) assert.deepEqual(set.match(event), []);
  });

  it('indexes rules by dataset and by a required exact value', () => {
    const set = compileRules(BASE);
    const hint = (file: string, dataset = 'kubernetes.audit') =>
      set.indexHint(set.rules.find((r) => r.rule.file === file)!, dataset);
    assert.deepEqual(hint('exec.yml'), { field: 'verb', values: ['create'] }); // ties: the first written
    assert.deepEqual(hint('secrets.yml'), { field: 'objectRef.resource', values: ['secrets'] });
    assert.equal(hint('denied.yml'), undefined);
    assert.deepEqual(hint('delete.yml'), { field: 'verb', values: ['delete'] }); // not from the negated filter
    assert.deepEqual(hint('shell.yml', 'falco.alerts'), { field: 'falco.output_fields.proc.name', values: ['sh', 'bash'] });
    assert.equal(hint('shell.yml'), undefined);
  });

  it('gives the same results with 500 extra rules for another dataset, at the same cost', () => {
    const base = compileRules(BASE);
    const noise = Array.from({ length: 500 }, (_, i) =>
      rule(`sel:\n  falco.output_fields.proc.name: miner${i}\ncondition: sel`, `noise${i}.yml`, FALCO),
    );
    const big = compileRules([...BASE, ...noise]);
    const auditEvents = events.slice(0, 5);
    const before = base.evaluations;
    for (const e of auditEvents) base.match(e);
    const bigBefore = big.evaluations;
    for (const e of auditEvents) big.match(e);
    assert.deepEqual(names(big), names(base));
    assert.equal(big.evaluations - bigBefore, base.evaluations - before);
  });

  it('evaluates hinted rules only when the event holds their value', () => {
    const hinted = Array.from({ length: 200 }, (_, i) =>
      rule(`sel:\n  verb: verb${i}\n  objectRef.resource: pods\ncondition: sel`, `v${i}.yml`),
    );
    const set = compileRules(hinted);
    // All 200 require resource 'pods'; the index picks the verb, which each rule has alone.
    assert.deepEqual(set.indexHint(set.rules[7]!, 'kubernetes.audit'), { field: 'verb', values: ['verb7'] });
    const hit = auditEvent({ verb: 'VERB7', objectRef: { resource: 'pods' } });
    assert.deepEqual(set.match(hit).map((m) => m.rule.file), ['v7.yml']);
    assert.equal(set.evaluations, 1);
    set.match(auditEvent({ verb: 'patch', objectRef: { resource: 'pods' } }));
    assert.equal(set.evaluations, 1);
  });
});
