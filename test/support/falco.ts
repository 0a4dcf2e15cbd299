/**
 * Falco's report of a crypto miner running in a pod, as Falcosidekick posts it: what the bundled rule
 * crypto_miner_process detects, for the suites that follow it to a response.
 */
import { randomUUID } from 'node:crypto';

export function falcoMinerEvent(namespace: string, pod: string, uuid: string = randomUUID()): Record<string, unknown> & { uuid: string } {
  const now = new Date().toISOString();
  return {
    uuid,
    hostname: 'node-a',
    output: `${now}: Critical Possible miner running (command=xmrig -o stratum+tcp://pool.supportxmr.com:3333 --donate-level 1 k8s.ns=${namespace} k8s.pod=${pod})`,
    priority: 'Critical',
    rule: 'Detect crypto miners using the Stratum protocol',
    source: 'syscall',
    tags: ['container', 'mitre_impact', 'T1496'],
    time: now,
    output_fields: {
      'container.id': 'ba92dbab2801',
      'container.name': 'shop',
      'evt.type': 'execve',
      'k8s.ns.name': namespace,
      'k8s.pod.name': pod,
      'proc.cmdline': 'xmrig -o stratum+tcp://pool.supportxmr.com:3333 --donate-level 1',
      'proc.exepath': '/tmp/.x/xmrig',
      'proc.name': 'xmrig',
      'user.name': 'root',
    },
  };
}
