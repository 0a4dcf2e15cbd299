/**
 * Secret references in playbooks and config (`env:NAME`, `file:/path`): a playbook names where a secret is, never
 * the secret, so it never sits in YAML, a run journal, a plan or a log line.
 */
import { readFileSync } from 'node:fs';
import { BulwarkError } from '@bulwark/schema';

export function resolveSecret(ref: string): string {
  const env = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(ref);
  if (env) {
    const value = process.env[env[1]!];
    if (value === undefined || value === '') throw new BulwarkError('BWK_BAD_REQUEST', `secret ${ref}: the variable is not set`, { field: 'secret' });
    return value;
  }
  const file = /^file:(\/.+)$/.exec(ref);
  if (file) {
    try {
      return readFileSync(file[1]!, 'utf8').trim();
    } catch {
      throw new BulwarkError('BWK_BAD_REQUEST', `secret ${ref}: the file cannot be read`, { field: 'secret' });
    }
  }
  throw new BulwarkError('BWK_BAD_REQUEST', `secret reference ${JSON.stringify(ref)}: use env:NAME or file:/absolute/path`, { field: 'secret' });
}
