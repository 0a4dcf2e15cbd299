/** The one check both token stores run before writing a token (what the auth layer relies on when reading it). */
import { BulwarkError, SourceKinds } from '@bulwark/schema';
import type { StoredToken } from './port.js';

/** Scopes a list of strings; sources, when present, a list of known source kinds (what auth relies on). */
export function checkToken(token: StoredToken): void {
  if (!Array.isArray(token.scopes) || token.scopes.some((s) => typeof s !== 'string')) {
    throw new BulwarkError('BWK_BAD_REQUEST', 'token scopes must be a list of strings', { field: 'scopes' });
  }
  if (token.sources !== undefined && !(Array.isArray(token.sources) && token.sources.every((s) => (SourceKinds as readonly string[]).includes(s)))) {
    throw new BulwarkError('BWK_BAD_REQUEST', `token sources must be a list of: ${SourceKinds.join(', ')}`, { field: 'sources' });
  }
}
