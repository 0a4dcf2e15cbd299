/**
 * The shell: resumes the session (GET /v1/session) or shows sign-in, then the header and the page the path names.
 * Pages: alerts, incidents, explore, runs, sources (see router.ts for the URL layout).
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { setUnauthorizedHandler } from './api.js';
import { Header } from './components/header.js';
import { Toasts } from './components/toasts.js';
import { matchRoute, navigate, useLocation } from './router.js';
import { hasScope, resumeSession, SessionContext, type Session } from './session.js';
import { pageTitle } from './lib/page-title.js';
import { AlertDetailPage } from './pages/alert-detail.js';
import { AlertsPage } from './pages/alerts.js';
import { ExplorePage } from './pages/explore.js';
import { IncidentPage } from './pages/incident.js';
import { IncidentsPage } from './pages/incidents.js';
import { RunPage } from './pages/run.js';
import { RunsPage } from './pages/runs.js';
import { SignInPage } from './pages/signin.js';
import { SourcesPage } from './pages/sources.js';

export function App() {
  const location = useLocation();
  const [session, setSession] = useState<Session | null>(null);
  const [checked, setChecked] = useState(false);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setSession(null);
      const back = window.location.pathname + window.location.search;
      if (!window.location.pathname.endsWith('/signin')) navigate(`/signin?next=${encodeURIComponent(back)}`, { replace: true });
    });
    void resumeSession().then((s) => {
      setSession(s);
      setChecked(true);
    });
  }, []);

  const context = useMemo(() => ({ session, can: (scope: Parameters<typeof hasScope>[1]) => hasScope(session, scope) }), [session]);

  useEffect(() => {
    if (!checked) return;
    if (!session && location.path !== '/signin') {
      navigate(`/signin?next=${encodeURIComponent(window.location.pathname + window.location.search)}`, { replace: true });
    } else if (session && (location.path === '/' || location.path === '/signin')) {
      const next = new URLSearchParams(location.search).get('next');
      navigate(next && next.startsWith('/console/') && !next.startsWith('/console/signin') ? next : '/alerts', { replace: true });
    }
  }, [checked, session, location.path]);

  // A new page (not a filter of the same one) is announced as one: the document's title names it (WCAG 2.4.2), and
  // the focus moves to its content, where a keyboard or screen-reader user goes on from — not back to the top of the
  // page, nor lost on the element the old page removed (2.4.3).
  const firstPage = useRef(true);
  useEffect(() => {
    document.title = pageTitle(location.path);
    if (!checked) return;
    if (firstPage.current) {
      firstPage.current = false;
      return;
    }
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [checked, location.path]);

  if (!checked) return <p class="loading">Loading…</p>;
  return (
    <SessionContext.Provider value={context}>
      {session ? <Header onSignedOut={() => setSession(null)} path={location.path} /> : null}
      <main id="main" class="page" tabIndex={-1}>
        {session ? <Page path={location.path} search={location.search} /> : <SignInPage onSignedIn={setSession} />}
      </main>
      <Toasts />
    </SessionContext.Provider>
  );
}

function Page({ path, search }: { path: string; search: string }) {
  let m: Record<string, string> | null;
  if (path === '/alerts') return <AlertsPage search={search} />;
  if ((m = matchRoute('/alerts/:id', path))) return <AlertDetailPage id={m.id!} />;
  if (path === '/incidents') return <IncidentsPage search={search} />;
  if ((m = matchRoute('/incidents/:id', path))) return <IncidentPage id={m.id!} />;
  if (path === '/explore') return <ExplorePage search={search} />;
  if (path === '/runs') return <RunsPage search={search} />;
  if ((m = matchRoute('/runs/:id', path))) return <RunPage id={m.id!} />;
  if (path === '/sources') return <SourcesPage />;
  if (path === '/' || path === '/signin') return null;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No console page at <code>{path}</code>. <a href="/console/alerts">Go to the alerts</a>.
      </p>
    </section>
  );
}
