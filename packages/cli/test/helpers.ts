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

export async function cli(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
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
export function auditEvent(id: string, subresource: string, timestamp = '2026-11-29T10:00:00Z', username = 'alice'): Record<string, unknown> {
  return {
    '@timestamp': timestamp,
    event: { id, kind: 'event', action: 'create', dataset: 'kubernetes.audit' },
    kubernetes: { audit: { verb: 'create', user: { username }, objectRef: { resource: 'pods', subresource, namespace: 'default', name: 'web-1' } } },
  };
}

/** A correlation over EXEC_RULE: 3 execs by one user within 10 minutes. */
export const EXEC_BURST = `title: many execs by one user
id: 5f0c3a1e-8d2b-4c7e-9a6f-1b2c3d4e5f60
correlation:
  type: event_count
  rules: [0b5a8f4e-1c2d-4e3f-9a8b-7c6d5e4f3a2b]
  group-by: [user.username]
  timespan: 10m
  condition: {gte: 3}
level: high
`;

/** \`n\` exec events by one user, one minute apart from 10:00. */
export function execSequence(prefix: string, n: number, username = 'alice'): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => auditEvent(`${prefix}-${i}`, 'exec', `2026-11-29T10:0${i}:00Z`, username));
}

export const fixtures = (tp: unknown[], tn: unknown[]): string =>
  JSON.stringify({ true_positives: tp, true_negatives: tn }, null, 2); // JSON is YAML
