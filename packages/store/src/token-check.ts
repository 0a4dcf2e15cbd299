/** The one check both token stores run before writing a token (what the auth layer relies on when reading it). */
import { BulwarkError, SourceKinds } from '@bulwark/schema';
import type { StoredToken } from './port.js';

/**
 * Scopes a list of strings; sources, when present, a list of known source kinds; a client certificate binding, when
 * present, at least one known non-empty field (what auth relies on: an empty binding would match every certificate); a
 * session, when present, its parent and a valid expiry.
 */
export function checkToken(token: StoredToken): void {
  if (!Array.isArray(token.scopes) || token.scopes.some((s) => typeof s !== 'string')) {
    throw new BulwarkError('BWK_BAD_REQUEST', 'token scopes must be a list of strings', { field: 'scopes' });
  }
  if (token.sources !== undefined && !(Array.isArray(token.sources) && token.sources.every((s) => (SourceKinds as readonly string[]).includes(s)))) {
    throw new BulwarkError('BWK_BAD_REQUEST', `token sources must be a list of: ${SourceKinds.join(', ')}`, { field: 'sources' });
  }
  if (token.clientCert !== undefined && !isBinding(token.clientCert)) {
    throw new BulwarkError('BWK_BAD_REQUEST', 'a token\'s client certificate binding names at least one of subjectCn, sanDns, sanUri, each a non-empty string', { field: 'clientCert' });
  }
  if (token.session !== undefined && !isSession(token.session)) {
    throw new BulwarkError('BWK_BAD_REQUEST', 'a session names its parent token (parentId) and when it expires (expiresAt, ISO 8601)', { field: 'session' });
  }
}

function isSession(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { parentId, expiresAt, ...rest } = value as Record<string, unknown>;
  return Object.keys(rest).length === 0 && typeof parentId === 'string' && parentId.length > 0 && typeof expiresAt === 'string' && !Number.isNaN(Date.parse(expiresAt));
}

const BINDING_FIELDS = ['subjectCn', 'sanDns', 'sanUri'];

function isBinding(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return entries.length > 0 && entries.every(([k, v]) => BINDING_FIELDS.includes(k) && typeof v === 'string' && v.length > 0);
}
