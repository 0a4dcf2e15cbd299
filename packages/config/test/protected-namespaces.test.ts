/**
 * `responder.protected_namespaces` adds to the namespaces that are always protected (kube-system and
 * bulwark); a configuration naming its own namespaces must never silently unprotect the defaults.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALWAYS_PROTECTED_NAMESPACES, loadConfig } from '@bulwark/config';

function withYaml(text: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'bwk-cfg-')), 'bulwark.yaml');
  writeFileSync(file, text);
  return loadConfig({ BULWARK_CONFIG: file });
}

describe('responder.protected_namespaces', () => {
  it('defaults to kube-system and bulwark', () => {
    assert.deepEqual(loadConfig({}).responder.protected_namespaces, ['kube-system', 'bulwark']);
    assert.deepEqual([...ALWAYS_PROTECTED_NAMESPACES], ['kube-system', 'bulwark']);
  });

  it('configured namespaces are added to the defaults, never replace them', () => {
    assert.deepEqual(withYaml('responder:\n  protected_namespaces: [payments, monitoring]\n').responder.protected_namespaces, ['kube-system', 'bulwark', 'payments', 'monitoring']);
    assert.deepEqual(withYaml('responder:\n  protected_namespaces: []\n').responder.protected_namespaces, ['kube-system', 'bulwark'], 'an empty list unprotects nothing');
    assert.deepEqual(withYaml('responder:\n  protected_namespaces: [bulwark, security]\n').responder.protected_namespaces, ['kube-system', 'bulwark', 'security'], 'no duplicates');
  });
});
