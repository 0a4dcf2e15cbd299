/**
 * Workloads on the test node (test/services/node.sh) and what the network lets them do: pods run the local busybox
 * image (`KUBE_NODE_IMAGE`, never pulled), serve HTTP on 8080, and probe each other from the inside with `bwk-probe`
 * through a real exec (the API server upgrades to the kubelet's streaming server, as `kubectl exec` does).
 */
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import type { KubeClients } from '@bulwark/actions';
import { kubeConfigFor, kubeEnv } from '../support/kube.js';
import { until } from '../support/until.js';

export const IMAGE = (): string => kubeEnv('KUBE_NODE_IMAGE');
/** The server outside the cluster, on the bridge: HTTP on 8080, and on TCP 53. */
export const INTERNET = (): string => kubeEnv('KUBE_NODE_INTERNET_IP');

/** A container serving HTTP on 8080 (its hostname as the page), and anything else `extra` adds. */
export function webContainer(extra: Partial<k8s.V1Container> = {}): k8s.V1Container {
  return {
    name: 'web',
    image: IMAGE(),
    imagePullPolicy: 'Never',
    command: ['sh', '-c', 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www'],
    ...extra,
  };
}

export async function createDeployment(admin: KubeClients, namespace: string, name: string, replicas: number, podSpec: Partial<k8s.V1PodSpec> = {}): Promise<void> {
  await admin.apps.createNamespacedDeployment({
    namespace,
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 1, containers: [webContainer()], ...podSpec } },
      },
    },
  });
}

export async function createPod(admin: KubeClients, namespace: string, name: string, labels: Record<string, string>, spec: Partial<k8s.V1PodSpec> = {}): Promise<void> {
  await admin.core.createNamespacedPod({
    namespace,
    body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { terminationGracePeriodSeconds: 1, containers: [webContainer()], ...spec } },
  });
}

/** Running pods selected by `selector`, with their IPs, sorted by name; waits until there are `count` of them. */
export async function runningPods(admin: KubeClients, namespace: string, selector: string, count: number, timeoutMs = 90_000): Promise<Array<{ name: string; ip: string; uid: string }>> {
  return until(`${count} running pods ${selector} in ${namespace}`, async () => {
    const pods = (await admin.core.listNamespacedPod({ namespace, labelSelector: selector })).items.filter(
      (p) => p.status?.phase === 'Running' && p.status.podIP && !p.metadata?.deletionTimestamp && p.status.containerStatuses?.every((c) => c.ready),
    );
    if (pods.length !== count) return null;
    return pods.map((p) => ({ name: p.metadata!.name!, ip: p.status!.podIP!, uid: p.metadata!.uid! })).sort((a, b) => (a.name < b.name ? -1 : 1));
  }, timeoutMs, 500);
}

/** How many pods `selector` selects that exist at all (any phase, terminating included). */
export async function podCount(admin: KubeClients, namespace: string, selector: string): Promise<number> {
  return (await admin.core.listNamespacedPod({ namespace, labelSelector: selector })).items.length;
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command` in the pod's container as `token` (the admin by default) and waits for its exit code. */
export async function execIn(namespace: string, pod: string, command: string[], token = kubeEnv('KUBE_ADMIN_TOKEN'), container = 'web'): Promise<ExecResult> {
  const stdout = new Collect();
  const stderr = new Collect();
  const exec = new k8s.Exec(kubeConfigFor(token));
  return new Promise<ExecResult>((resolve, reject) => {
    let status: k8s.V1Status | undefined;
    exec
      .exec(namespace, pod, container, command, stdout, stderr, null, false, (s) => {
        status = s;
      })
      .then((ws) => {
        ws.on('close', () => {
          if (!status) return reject(new Error(`exec in ${namespace}/${pod} closed without a status: ${stderr.text}`));
          const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
          resolve({ code: status.status === 'Success' ? 0 : Number(cause?.message ?? 1), stdout: stdout.text, stderr: stderr.text });
        });
        ws.on('error', reject);
      }, reject);
  });
}

/** Does a TCP connection from inside the pod to `ip:port` get a server's answer (within 2 s)? */
export async function reaches(namespace: string, pod: string, ip: string, port = 8080): Promise<boolean> {
  const r = await execIn(namespace, pod, ['bwk-probe', 'tcp', `${ip}:${port}`]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`probe in ${namespace}/${pod} failed to run (${r.code}): ${r.stdout}${r.stderr}`);
  return r.code === 0;
}

/** The probe of `ip:port` from `pod`, repeated until it gives `expected` (the firewall applies a policy within seconds). */
export async function untilReach(namespace: string, pod: string, ip: string, expected: boolean, port = 8080, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  await until(`${namespace}/${pod} → ${ip}:${port} ${expected ? 'reachable' : 'refused'}`, async () => ((await reaches(namespace, pod, ip, port)) === expected ? true : null), timeoutMs, 200);
  return Date.now() - started;
}
