import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@bulwark/config';

function yamlFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bwk-cfg-')), 'bulwark.yaml');
  writeFileSync(file, text);
  return file;
}

function problemsOf(env: NodeJS.ProcessEnv): ConfigError['problems'] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  it('has working defaults with an empty environment', () => {
    const cfg = loadConfig({});
    assert.equal(cfg.server.port, 8080);
    assert.equal(cfg.data_dir, './data');
    assert.equal(cfg.store.type, 'sqlite');
    assert.equal(cfg.ingest.keep_original, false);
  });

  it('reads env vars over the YAML file', () => {
    const file = yamlFile('server:\n  port: 9000\ndata_dir: /tmp/x\ningest:\n  max_depth: 32\n');
    const cfg = loadConfig({ BULWARK_CONFIG: file, BULWARK_PORT: '9100', BULWARK_KEEP_ORIGINAL: 'true' });
    assert.equal(cfg.server.port, 9100);
    assert.equal(cfg.data_dir, '/tmp/x');
    assert.equal(cfg.ingest.max_depth, 32);
    assert.equal(cfg.ingest.keep_original, true);
  });

  it('lists every problem together, with path and source', () => {
    const file = yamlFile('server:\n  prot: 1\nstore:\n  type: mongo\nbogus: 1\n');
    const problems = problemsOf({ BULWARK_CONFIG: file, BULWARK_PORT: 'eighty', BULWARK_TYPO: 'x' });
    const byPath = new Map(problems.map((p) => [p.path, p]));
    assert.equal(byPath.get('server.prot')?.message, 'unknown key');
    assert.equal(byPath.get('bogus')?.message, 'unknown key');
    assert.ok(byPath.has('store.type'));
    assert.equal(byPath.get('server.port')?.source, 'BULWARK_PORT');
    assert.equal(byPath.get('BULWARK_TYPO')?.message, 'unknown environment variable');
    assert.ok(problems.length >= 5);
  });

  it('reports an unreadable or non-mapping file', () => {
    assert.equal(problemsOf({ BULWARK_CONFIG: '/nonexistent/bulwark.yaml' })[0]?.path, '(file)');
    assert.equal(problemsOf({ BULWARK_CONFIG: yamlFile('- a\n- b\n') })[0]?.path, '(root)');
  });

  it('rejects a short bootstrap token', () => {
    const problems = problemsOf({ BULWARK_BOOTSTRAP_TOKEN: 'short' });
    assert.equal(problems[0]?.path, 'auth.bootstrap_token');
  });
});

describe('config: scale-mode store', () => {
  it('needs a URL for a search engine and checks credentials go together', () => {
    const problems = problemsOf({ BULWARK_STORE: 'opensearch', BULWARK_STORE_USERNAME: 'admin' });
    const paths = problems.map((p) => p.path).sort();
    assert.deepEqual(paths, ['bus.redis_url', 'store.password', 'store.url']);
    const bad = problemsOf({ BULWARK_STORE: 'elasticsearch', BULWARK_STORE_URL: 'es.internal:9200' });
    assert.equal(bad[0]?.path, 'store.url');
  });

  it('accepts a complete engine configuration', () => {
    const cfg = loadConfig({
      BULWARK_STORE: 'elasticsearch',
      BULWARK_STORE_URL: 'https://es-1:9200,https://es-2:9200',
      BULWARK_STORE_API_KEY: 'a2V5OnNlY3JldA==',
      BULWARK_RETENTION_DAYS: '30',
      BULWARK_REDIS_URL: 'redis://redis:6379',
    });
    assert.equal(cfg.store.type, 'elasticsearch');
    assert.equal(cfg.store.retention_days, 30);
    assert.equal(cfg.store.prefix, 'bulwark');
  });
});

describe('config: embedded store retention', () => {
  it('reads both limits for the embedded store and refuses the size limit for an engine', () => {
    const cfg = loadConfig({ BULWARK_RETENTION_DAYS: '14', BULWARK_RETENTION_MAX_BYTES: '50000000000' });
    assert.equal(cfg.store.retention_days, 14);
    assert.equal(cfg.store.retention_max_bytes, 50_000_000_000);
    assert.equal(problemsOf({ BULWARK_RETENTION_MAX_BYTES: '-1' })[0]?.path, 'store.retention_max_bytes');
    const engine = problemsOf({ BULWARK_STORE: 'opensearch', BULWARK_STORE_URL: 'http://os:9200', BULWARK_REDIS_URL: 'redis://r:6379', BULWARK_RETENTION_MAX_BYTES: '1000' });
    assert.deepEqual(engine.map((p) => p.path), ['store.retention_max_bytes']);
    assert.match(engine[0]!.message, /embedded store only/);
  });
});

describe('config: bus and detection', () => {
  it('needs Redis in scale mode, naming the key and why', () => {
    const problems = problemsOf({ BULWARK_STORE: 'opensearch', BULWARK_STORE_URL: 'http://os:9200' });
    assert.deepEqual(problems.map((p) => p.path), ['bus.redis_url']);
    assert.match(problems[0]!.message, /required when store\.type is opensearch/);
    const cfg = loadConfig({ BULWARK_STORE: 'opensearch', BULWARK_STORE_URL: 'http://os:9200', BULWARK_REDIS_URL: 'rediss://r:6380/2' });
    assert.equal(cfg.bus.redis_url, 'rediss://r:6380/2');
    assert.deepEqual(cfg.bus.groups, ['correlator']);
    assert.equal(problemsOf({ BULWARK_REDIS_URL: 'http://redis' })[0]?.path, 'bus.redis_url');
  });

  it('reads durations with units and groups as a comma list', () => {
    const cfg = loadConfig({
      BULWARK_SUPPRESSION_WINDOW: '5m',
      BULWARK_INCIDENT_WINDOW: '2h',
      BULWARK_ALLOWED_LATENESS: '1500ms',
      BULWARK_BUS_GROUPS: 'correlator, archive',
    });
    assert.equal(cfg.detection.suppression_window, 300_000);
    assert.equal(cfg.detection.incident_window, 7_200_000);
    assert.equal(cfg.detection.allowed_lateness, 1500);
    assert.deepEqual(cfg.bus.groups, ['correlator', 'archive']);
    const defaults = loadConfig({});
    assert.equal(defaults.detection.suppression_window, 600_000);
    assert.equal(defaults.detection.incident_window, 3_600_000);
  });

  it('refuses a bad duration, a bad group and a missing rules directory', () => {
    const paths = problemsOf({
      BULWARK_INCIDENT_WINDOW: 'soon',
      BULWARK_BUS_GROUPS: 'ok,not ok',
      BULWARK_RULES_DIR: '/nonexistent/rules',
    }).map((p) => p.path).sort();
    assert.deepEqual(paths, ['bus.groups.1', 'detection.incident_window', 'detection.rules_dir']);
  });
});

describe('config: detection content settings', () => {
  it('reads expand placeholders and extra logsource rows from YAML, naming bad rows by path', () => {
    const file = yamlFile(
      'detection:\n  placeholders:\n    admins: [alice, bob]\n    registry: ghcr.io\n  logsources:\n    - product: nginx\n      datasets: [nginx.access]\n',
    );
    const cfg = loadConfig({ BULWARK_CONFIG: file });
    assert.deepEqual(cfg.detection.placeholders, { admins: ['alice', 'bob'], registry: 'ghcr.io' });
    assert.deepEqual(cfg.detection.logsources, [{ product: 'nginx', datasets: ['nginx.access'] }]);
    const bad = yamlFile('detection:\n  logsources:\n    - product: nginx\n    - product: x\n      datasets: []\n      vendor: y\n');
    const paths = problemsOf({ BULWARK_CONFIG: bad }).map((p) => p.path).sort();
    assert.deepEqual(paths, ['detection.logsources.0.datasets', 'detection.logsources.1.datasets', 'detection.logsources.1.vendor']);
  });
});
