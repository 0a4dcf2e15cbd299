/** The signed-in header: the product, the pages, who is signed in, the theme toggle, sign out. */
import { signOut, useSession } from '../session.js';
import { linkClick, navigate } from '../router.js';
import { toggleTheme } from '../theme.js';

const NAV = [
  ['Alerts', '/alerts'],
  ['Incidents', '/incidents'],
  ['Explore', '/explore'],
  ['Runs', '/runs'],
  ['Sources', '/sources'],
] as const;

export function Header({ path, onSignedOut }: { path: string; onSignedOut: () => void }) {
  const { session } = useSession();
  return (
    <header class="topbar">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <span class="brand">Bulwark</span>
      <nav aria-label="Console">
        <ul>
          {NAV.map(([label, to]) => (
            <li key={to}>
              <a href={`/console${to}`} onClick={linkClick} aria-current={path === to || path.startsWith(`${to}/`) ? 'page' : undefined}>
                {label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="who">
        <span data-testid="whoami" title={`token ${session?.token_id ?? ''}; scopes: ${session?.scopes.join(', ') ?? ''}`}>
          {session?.name}
        </span>
        <span class="scopes">{session?.scopes.join(' · ')}</span>
        <button type="button" class="ghost" onClick={() => toggleTheme()}>
          Toggle theme
        </button>
        <button
          type="button"
          onClick={async () => {
            await signOut().catch(() => undefined);
            onSignedOut();
            navigate('/signin', { replace: true });
          }}
        >
          Sign out
        </button>
      </div>
    </header>
  );
}
