/**
 * Names and templates per engine, without an engine: what Elasticsearch gets that OpenSearch does not (lifecycle,
 * `flattened`, standard index mode) and how datasets and namespaces become data stream names. The engine suites run
 * these templates on the Elasticsearch test node, which has no data stream lifecycle: the lifecycle body of a full
 * distribution is checked here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineDialect } from '../../src/search/engine.js';
import { StreamNames, indexTemplate, layoutFor } from '../../src/search/layout.js';

const ES: EngineDialect = { kind: 'elasticsearch', version: '8.19.0', flatType: 'flattened', pit: true, dataStreamLifecycle: true, dataStreamApi: true, ism: false, indexSettings: { mode: 'standard' }, missing: [] };
const OS: EngineDialect = { kind: 'opensearch', version: '3.8.0', flatType: 'flat_object', pit: true, dataStreamLifecycle: false, dataStreamApi: true, ism: false, indexSettings: {}, missing: [] };

type Tpl = { index_patterns: string[]; priority: number; template: { lifecycle?: unknown; settings: { index: Record<string, any> }; mappings: any } };

describe('layout', () => {
  it('names data streams logs-<prefix>.<dataset>-<namespace> with index-name-safe parts', () => {
    const names = new StreamNames('bulwark');
    assert.equal(names.nameFor('kubernetes.audit', null), 'logs-bulwark.kubernetes.audit-default');
    assert.equal(names.nameFor('My-App/Logs', 'Team A'), 'logs-bulwark.my_app_logs-team_a');
    assert.equal(names.nameFor(null, 'x.y'), 'logs-bulwark.generic-x_y');
    assert.equal(names.nameFor('..', ''), 'logs-bulwark.generic-default');
    assert.ok(names.nameFor('d'.repeat(500), 'n'.repeat(500)).length < 160);
    assert.throws(() => layoutFor('Bad.Prefix'), { code: 'BWK_CONFIG_INVALID' });
    assert.equal(layoutFor('bw').pattern, 'logs-bw.*-*');
  });

  it('gives Elasticsearch a lifecycle with the retention, flattened objects and standard index mode', () => {
    const tpl = indexTemplate(layoutFor('bw'), ES, { dataRetention: '30d', refreshInterval: '1s' }) as Tpl;
    assert.deepEqual(tpl.index_patterns, ['logs-bw.*-*']);
    assert.ok(tpl.priority > 100);
    assert.deepEqual(tpl.template.lifecycle, { data_retention: '30d' });
    assert.equal(tpl.template.settings.index.mode, 'standard');
    const audit = tpl.template.mappings.properties.kubernetes.properties.audit.properties;
    assert.equal(audit.requestObject.type, 'flattened');
    assert.equal(audit.annotations.type, 'flattened');
    assert.deepEqual((indexTemplate(layoutFor('bw'), ES, { refreshInterval: '1s' }) as Tpl).template.lifecycle, {});
    const bare = { ...ES, dataStreamLifecycle: false, dataStreamApi: false };
    assert.equal((indexTemplate(layoutFor('bw'), bare, { refreshInterval: '1s' }) as Tpl).template.lifecycle, undefined, 'no lifecycle where none runs');
  });

  it('gives OpenSearch flat_object maps, unindexed audit objects and no lifecycle; extra settings win', () => {
    const tpl = indexTemplate(layoutFor('bw'), OS, { refreshInterval: '200ms', indexSettings: { number_of_shards: 3 } }) as Tpl;
    assert.equal(tpl.template.lifecycle, undefined);
    assert.equal(tpl.template.settings.index.mode, undefined);
    assert.equal(tpl.template.settings.index.refresh_interval, '200ms');
    assert.equal(tpl.template.settings.index.number_of_shards, 3);
    const props = tpl.template.mappings.properties;
    assert.equal(props.labels.type, 'flat_object');
    assert.deepEqual(props.kubernetes.properties.audit.properties.requestObject, { type: 'object', enabled: false });
  });
});
