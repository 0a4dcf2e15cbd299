/**
 * The Kubernetes connections the configuration names: the responder's (`responder.kube`) and the Events watch's
 * (`ingest.kubernetes_events.kube`) — each the block's server, token file and CA when given, else KUBECONFIG,
 * ~/.kube/config or the in-cluster service account.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '@bulwark/config';
import { kubeClients, kubeConfigOf, type KubeClients, type KubeOptions } from '@bulwark/actions';

type KubeBlock = Config['responder']['kube'];

function optionsOf(kube: KubeBlock): KubeOptions | undefined {
  if (!kube?.server || !kube.token_file) return undefined;
  return { server: kube.server, token: readFileSync(kube.token_file, 'utf8').trim(), ...(kube.ca_file ? { caFile: kube.ca_file } : {}) };
}

export function kubeFromConfig(config: Config): KubeClients {
  return kubeClients(optionsOf(config.responder.kube));
}

/** The connection the Kubernetes Events source watches with, or null when it is off. */
export function kubeEventsFromConfig(config: Config): ReturnType<typeof kubeConfigOf> | null {
  const events = config.ingest.kubernetes_events;
  return events.enabled ? kubeConfigOf(optionsOf(events.kube)) : null;
}
