/**
 * `bench:respond --node`: attacks on pods that really run (test/services/node.sh), and the moment their packets stop.
 * Each attack gets a victim pod serving on 8080 and a watcher pod running `bwk-probe watch` against it, which logs
 * "<unix ms> up|down" on every change of reachability (connection attempts every 20 ms); the first "down" after the
 * attacker's completing call is when the quarantine took hold on the wire, as seen from a neighbour.
 */
import * as k8s from '@kubernetes/client-node';
import { kubeConfigFor, kubeEnv } from '../test/support/kube.js';

export interface NodeTarget {
  victim: string;
  watcher: string;
}

const admin = () => kubeConfigFor(kubeEnv('KUBE_ADMIN_TOKEN')).makeApiClient(k8s.CoreV1Api);

function pod(name: string, command: string[]): k8s.V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'web', image: kubeEnv('KUBE_NODE_IMAGE'), imagePullPolicy: 'Never', command }] },
  };
}

async function running(namespace: string, name: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const p = await admin().readNamespacedPod({ namespace, name });
    if (p.status?.phase === 'Running' && p.status.podIP && p.status.containerStatuses?.every((c) => c.ready)) return p.status.podIP;
    if (Date.now() > deadline) throw new Error(`pod ${namespace}/${name} not running within 60 s: ${JSON.stringify(p.status?.containerStatuses)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A victim serving on 8080 and a watcher of it, both running, the watcher already seeing the victim up. */
export async function prepareNodeTarget(namespace: string, id: string): Promise<NodeTarget> {
  const victim = `victim-${id}`;
  const watcher = `watcher-${id}`;
  await admin().createNamespacedPod({ namespace, body: pod(victim, ['httpd', '-f', '-p', '8080', '-h', '/www']) });
  const ip = await running(namespace, victim);
  await admin().createNamespacedPod({ namespace, body: pod(watcher, ['bwk-probe', 'watch', `${ip}:8080`]) });
  await running(namespace, watcher);
  const deadline = Date.now() + 10_000;
  while (!(await watchLog(namespace, watcher)).some((l) => l.state === 'up')) {
    if (Date.now() > deadline) throw new Error(`${watcher} never saw ${victim} up`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { victim, watcher };
}

async function watchLog(namespace: string, watcher: string): Promise<Array<{ at: number; state: string }>> {
  const text = await admin().readNamespacedPodLog({ namespace, name: watcher });
  return text
    .split('\n')
    .map((line) => /^(\d+) (up|down)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ at: Number(m[1]), state: m[2]! }));
}

/** Milliseconds from `since` (epoch ms) to the watcher's first "down" after it; polls its log for up to 30 s. */
export async function packetsRefusedAfter(namespace: string, target: NodeTarget, since: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const down = (await watchLog(namespace, target.watcher)).find((l) => l.state === 'down' && l.at >= since);
    if (down) return down.at - since;
    if (Date.now() > deadline) throw new Error(`${target.victim} still reachable 30 s after the attack`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function removeNodeTarget(namespace: string, target: NodeTarget): Promise<void> {
  for (const name of [target.victim, target.watcher]) await admin().deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }).catch(() => {});
}
