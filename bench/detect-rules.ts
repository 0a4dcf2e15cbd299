/**
 * Generated Sigma rules for the detection benchmark: `n` rules of realistic variety, so the rule index is exercised
 * the way a real rule pack exercises it — audit rules keyed on verb/resource/namespace (indexed), on prefixes,
 * substrings, regular expressions and CIDRs (not indexable, evaluated for every audit event), Falco rules by rule
 * name or command line, and container-log keyword and regex rules (never indexable). Values mix what the generated
 * traffic contains with what it does not, so some rules match now and then and most do not, as in production.
 */
import { pick, prng } from './lib.js';

const NAMESPACES = ['payments', 'checkout', 'storefront', 'monitoring', 'default', 'ingress', 'data', 'kube-system', 'vault', 'ci'];
const RESOURCES = ['pods', 'secrets', 'configmaps', 'deployments', 'services', 'roles', 'rolebindings', 'serviceaccounts', 'cronjobs', 'networkpolicies', 'ingresses', 'leases'];
const VERBS = ['create', 'update', 'patch', 'delete', 'get', 'list', 'deletecollection'];
const TOOLS = ['nmap', 'masscan', 'socat', 'xmrig', 'kubectl', 'tcpdump', 'chisel', 'ngrok', 'curl', 'wget', 'python3', 'perl'];
const WORDS = ['panic', 'segfault', 'OOMKilled', 'unauthorized', 'stack trace', 'SQLSTATE', 'deadlock', 'certificate expired', 'x509', 'permission denied', 'timeout', 'retry'];

const token = (r: () => number) => Math.floor(r() * 36 ** 4).toString(36);

/** A rule document: detection body indented under `detection:`. */
function rule(i: number, product: string, service: string | undefined, detection: string, level: string): { file: string; source: string } {
  const logsource = service ? `  product: ${product}\n  service: ${service}` : `  product: ${product}`;
  return {
    file: `generated/rule_${i}.yml`,
    source: `title: Generated rule ${i}\nid: 00000000-0000-4000-8000-${String(i).padStart(12, '0')}\nstatus: experimental\nlogsource:\n${logsource}\ndetection:\n${detection}\nlevel: ${level}\n`,
  };
}

function auditRule(i: number, r: () => number) {
  const ns = pick(r, NAMESPACES);
  const res = pick(r, RESOURCES);
  const kind = Math.floor(r() * 7);
  const d =
    kind === 0 ? `  sel:\n    verb: ${pick(r, VERBS)}\n    objectRef.resource: ${res}\n    objectRef.namespace: ${ns}\n  condition: sel`
    : kind === 1 ? `  sel:\n    objectRef.resource: ${res}\n    user.username|startswith: 'system:serviceaccount:${ns}:'\n  denied:\n    responseStatus.code|gte: 400\n  condition: sel and not denied`
    : kind === 2 ? `  sel:\n    requestURI|contains: '/namespaces/${ns}/${res}/${token(r)}'\n    verb: [create, update, patch]\n  condition: sel`
    : kind === 3 ? `  sel:\n    userAgent|contains|all:\n      - '${pick(r, TOOLS)}'\n      - '${token(r)}'\n  condition: sel`
    : kind === 4 ? `  sel:\n    objectRef.resource: ${res}\n    objectRef.name|re: '^(${token(r)}|${token(r)})-[0-9a-f]{5}$'\n  condition: sel`
    : kind === 5 ? `  sel:\n    sourceIPs|cidr: '172.${16 + Math.floor(r() * 16)}.0.0/16'\n    verb: ${pick(r, VERBS)}\n  condition: sel`
    : `  sel1:\n    objectRef.subresource: ${pick(r, ['exec', 'attach', 'portforward', 'log', 'token'])}\n    objectRef.namespace: ${ns}\n  sel2:\n    user.username|endswith: '${token(r)}'\n  condition: 1 of sel*`;
  return rule(i, 'kubernetes', 'audit', d, pick(r, ['low', 'medium', 'high']));
}

function falcoRule(i: number, r: () => number) {
  const kind = Math.floor(r() * 3);
  const d =
    kind === 0 ? `  sel:\n    rule.name: '${pick(r, ['Terminal shell in container', 'Write below etc', 'Generated Falco rule'])} ${token(r)}'\n  condition: sel`
    : kind === 1 ? `  sel:\n    process.name: [${pick(r, TOOLS)}, ${pick(r, TOOLS)}]\n    process.command_line|contains: '${token(r)}'\n  condition: sel`
    : `  sel:\n    container.image.name|endswith: '/${token(r)}'\n  shell:\n    process.name: [bash, sh, zsh]\n  condition: sel and shell`;
  return rule(i, 'falco', undefined, d, pick(r, ['medium', 'high', 'critical']));
}

function containerRule(i: number, r: () => number) {
  const kind = Math.floor(r() * 3);
  const d =
    kind === 0 ? `  keywords:\n    - '${pick(r, WORDS)} ${token(r)}'\n    - '${token(r)}${token(r)}'\n  condition: keywords`
    : kind === 1 ? `  sel:\n    message|contains: '${pick(r, WORDS)}'\n    kubernetes.namespace: ${pick(r, NAMESPACES)}\n  condition: sel`
    : `  sel:\n    message|re: '${pick(r, WORDS)} .* ${token(r)}[0-9]+'\n  condition: sel`;
  return rule(i, 'container', undefined, d, pick(r, ['low', 'medium']));
}

/** `n` generated rules: 55 % audit, 20 % Falco, 25 % container logs. */
export function generateRules(n: number, seed = 7): { file: string; source: string }[] {
  const r = prng(seed);
  return Array.from({ length: n }, (_, i) => {
    const x = r();
    return x < 0.55 ? auditRule(i, r) : x < 0.75 ? falcoRule(i, r) : containerRule(i, r);
  });
}
