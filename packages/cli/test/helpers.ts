/** Test helpers: run the CLI in-process with captured streams; build throwaway rule directories. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/main.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BUNDLED_RULES = join(REPO_ROOT, 'rules');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(...argv: string[]): CliRun {
  let stdout = '';
  let stderr = '';
  const code = runCli(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

/** A temp directory holding the given files (relative path → text). */
export function ruleDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-rules-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** A minimal valid audit rule firing on `kubectl exec`. */
export const EXEC_RULE = `title: exec into a pod
id: 0b5a8f4e-1c2d-4e3f-9a8b-7c6d5e4f3a2b
status: test
logsource: {product: kubernetes, service: audit}
detection:
  exec:
    objectRef.subresource: exec
  condition: exec
level: medium
`;

/** A decoded audit event (only the parts the rules look at, plus what EventSchema requires). */
export function auditEvent(id: string, subresource: string): Record<string, unknown> {
  return {
    '@timestamp': '2026-11-29T10:00:00Z',
    event: { id, kind: 'event', action: 'create', dataset: 'kubernetes.audit' },
    kubernetes: { audit: { verb: 'create', objectRef: { resource: 'pods', subresource, namespace: 'default', name: 'web-1' } } },
  };
}

export const fixtures = (tp: unknown[], tn: unknown[]): string =>
  JSON.stringify({ true_positives: tp, true_negatives: tn }, null, 2); // JSON is YAML
