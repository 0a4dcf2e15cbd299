/**
 * `bulwark tokens create|list|revoke`: API tokens on a running Bulwark (`/v1/tokens`, admin scope). The help text is
 * the short form of the trust model (README, "Trust model"): what each scope allows, what `sources` restricts, what
 * may act without a person.
 */
import { SourceKinds } from '@bulwark/schema';
import { request, serverTarget, SERVER_OPTIONS, withServerErrors } from './http-client.js';
import { EXIT, line, parseCommand, UsageError, type CliIo } from './io.js';

/** The scopes the API knows (packages/http/src/auth.ts SCOPES; not imported, so the CLI needs no server code). */
const SCOPES = ['ingest', 'alerts', 'read', 'respond', 'approve', 'metrics', 'admin'] as const;

export const TOKENS_HELP = `Usage: bulwark tokens <command> [options]     (needs an admin token: --token or BULWARK_TOKEN)

Commands:
  tokens create --name <name> --scopes <a,b> [--sources <k1,k2>]
                       mint a token; its secret is printed once (only its hash is stored)
  tokens list          every token: id, name, scopes, sources, created, revoked
  tokens revoke <id>   revoke a token (every service refuses it within seconds)

Scopes (what a token may do):
  ingest    send events: log shippers, the audit webhook, Falco
  alerts    post alerts from other tools (POST /v1/alerts, the Alertmanager webhook)
  read      search events, look at alerts, incidents and runs
  respond   start, cancel and undo playbook runs
  approve   decide a run's waiting steps; never for a run the same token requested
  admin     tokens, the breaker, and every scope above

Sources (what a token's events may speak for; without --sources: logs for ingest, alertmanager and external for
alerts, every kind for admin — k8s-audit and falco are always an explicit grant):
  k8s-audit     the API server's audit webhook (or an audit log file tailer on _bulk)
  falco         Falco / Falcosidekick on the Falco route
  logs          anything a workload or shipper writes: _bulk, _doc, Loki, container lines, events
  alertmanager, external
                alerts from Alertmanager / other tools
  A restricted token is refused (403 BWK_AUTH_SOURCE_FORBIDDEN) on routes that speak for other kinds. Every event
  records its provenance (route, token, sources) at bulwark.provenance, whatever its payload says. Give each sender
  its own token: the audit webhook [k8s-audit], Falco [falco], log shippers [logs]. Only a token granted k8s-audit
  (or falco) has native audit (Falco) JSON sent through _bulk mapped as such; from any other sender it is a log line.

Trust:
  By default only Bulwark's own rules over k8s-audit and falco evidence start containment without a person; log
  keyword rules, Alertmanager and posted alerts wait for an approval (a playbook trigger can say otherwise), and
  scale-to-zero always waits. Whoever requested a run cannot approve it: a second identity with approve must.

Options:
  --name <name>        (create) a name that says who holds it, e.g. fluent-bit-prod
  --scopes <a,b>       (create) comma-separated, from: ${SCOPES.join(', ')}
  --sources <a,b>      (create) comma-separated, from: ${SourceKinds.join(', ')}
  --url <url>          Bulwark's address (BULWARK_URL, default http://127.0.0.1:8080)
  --token <token>      an admin token (BULWARK_TOKEN)
  --json               print the API's JSON
  -h, --help           show this help
`;

interface TokenView {
  id: string;
  name: string;
  scopes: string[];
  sources?: string[];
  createdAt?: string;
  revokedAt?: string | null;
  token?: string;
}

const CREATE_OPTIONS = { ...SERVER_OPTIONS, name: { type: 'string' }, scopes: { type: 'string' }, sources: { type: 'string' } } as const;

/** A comma-separated list of known values, or a usage error naming the option and the bad value. */
function listOption(option: string, raw: string | undefined, known: readonly string[]): string[] | undefined {
  if (raw === undefined) return undefined;
  const values = raw.split(',').map((v) => v.trim()).filter(Boolean);
  const bad = values.find((v) => !known.includes(v));
  if (bad !== undefined) throw new UsageError(`--${option} '${bad}': one of ${known.join(', ')}`);
  if (values.length === 0) throw new UsageError(`--${option} needs at least one of ${known.join(', ')}`);
  return values;
}

async function createToken(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, CREATE_OPTIONS);
  if (positionals.length > 0) throw new UsageError(`tokens create takes no arguments (got ${positionals.join(' ')})`);
  if (!values.name) throw new UsageError('tokens create needs --name <name>');
  const scopes = listOption('scopes', values.scopes, SCOPES);
  if (!scopes) throw new UsageError(`tokens create needs --scopes (from: ${SCOPES.join(', ')})`);
  const sources = listOption('sources', values.sources, SourceKinds);
  const target = serverTarget(values, io.env ?? process.env);
  const created = await request<TokenView>(target, 'POST', '/v1/tokens', { name: values.name, scopes, ...(sources ? { sources } : {}) });
  if (values.json) {
    line(io.stdout, JSON.stringify(created, null, 2));
    return EXIT.ok;
  }
  line(io.stdout, `created token ${created.id} (${created.name}): scopes ${created.scopes.join(',')}; sources ${created.sources?.join(',') ?? 'unrestricted'}`);
  line(io.stdout, 'The secret is shown only now; keep it safe:');
  line(io.stdout, `  ${created.token}`);
  return EXIT.ok;
}

async function listTokens(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, SERVER_OPTIONS);
  if (positionals.length > 0) throw new UsageError(`tokens list takes no arguments (got ${positionals.join(' ')})`);
  const page = await request<{ items: TokenView[] }>(serverTarget(values, io.env ?? process.env), 'GET', '/v1/tokens');
  if (values.json) {
    line(io.stdout, JSON.stringify(page, null, 2));
    return EXIT.ok;
  }
  for (const t of page.items) {
    const state = t.revokedAt ? `revoked ${t.revokedAt}` : 'active';
    line(io.stdout, `${t.id}  ${t.name}  scopes=${t.scopes.join(',')}  sources=${t.sources?.join(',') ?? 'unrestricted'}  created ${t.createdAt ?? '?'}  ${state}`);
  }
  line(io.stdout, `${page.items.length} tokens`);
  return EXIT.ok;
}

async function revokeToken(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, SERVER_OPTIONS);
  if (positionals.length !== 1) throw new UsageError('tokens revoke needs exactly one token id (see tokens list)');
  const id = positionals[0]!;
  await request(serverTarget(values, io.env ?? process.env), 'DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
  line(io.stdout, values.json ? JSON.stringify({ id, revoked: true }) : `revoked token ${id}`);
  return EXIT.ok;
}

/** `argv` starts after `tokens`. */
export async function tokensCommand(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv.some((a) => a === '-h' || a === '--help')) {
    (argv.length === 0 ? io.stderr : io.stdout).write(TOKENS_HELP);
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const [command, ...rest] = argv;
  return withServerErrors(io, async () => {
    switch (command) {
      case 'create':
        return createToken(rest, io);
      case 'list':
        return listTokens(rest, io);
      case 'revoke':
        return revokeToken(rest, io);
      default:
        throw new UsageError(`unknown command 'tokens ${command}' (one of: tokens create, tokens list, tokens revoke)`);
    }
  });
}
