/**
 * The signed-in session as the browser knows it: who, which scopes, and the CSRF token (memory only — never in
 * storage a script injected elsewhere could read later). The cookie itself is HttpOnly and never seen here.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { api, setCsrfToken } from './api.js';

export interface Session {
  token_id: string;
  name: string;
  scopes: string[];
  csrf_token: string;
  expires_at: string;
}

export type Scope = 'read' | 'respond' | 'approve' | 'admin';

/** What the session may do: `admin` holds every scope, as the server's auth does. */
export function hasScope(session: Session | null, scope: Scope): boolean {
  return !!session && (session.scopes.includes(scope) || session.scopes.includes('admin'));
}

export async function signIn(token: string): Promise<Session> {
  const session = await api.post<Session>('/v1/session', { token }, { quiet: true });
  setCsrfToken(session.csrf_token);
  return session;
}

/** The current session after a reload (the cookie is sent; the CSRF token comes back), or null. */
export async function resumeSession(): Promise<Session | null> {
  try {
    const session = await api.get<Session>('/v1/session', { quiet: true });
    setCsrfToken(session.csrf_token);
    return session;
  } catch {
    return null;
  }
}

export async function signOut(): Promise<void> {
  try {
    await api.delete('/v1/session', { quiet: true });
  } finally {
    setCsrfToken(null);
  }
}

export interface SessionContextValue {
  session: Session | null;
  can: (scope: Scope) => boolean;
}

export const SessionContext = createContext<SessionContextValue>({ session: null, can: () => false });

export function useSession(): SessionContextValue {
  return useContext(SessionContext);
}
