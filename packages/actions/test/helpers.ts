/** Clients for the real API server test/services/k8s.sh starts: its admin, and the responder identity actions run as. */
import { kubeClients, type ActionContext, type KubeClients } from '../src/index.js';
import { kubeEnv } from '../../../test/support/kube.js';

export { applyResponderRole, kubeConfigFor, kubeEnv } from '../../../test/support/kube.js';

export function testClients(): { admin: KubeClients; responder: KubeClients } {
  const server = kubeEnv('KUBE_API_URL');
  const caFile = kubeEnv('KUBE_CA_FILE');
  return {
    admin: kubeClients({ server, caFile, token: kubeEnv('KUBE_ADMIN_TOKEN') }),
    responder: kubeClients({ server, caFile, token: kubeEnv('KUBE_RESPONDER_TOKEN') }),
  };
}

/** A Deployment whose pods are labelled `app: <name>` (no controller runs here: it stays a stored object). */
export function deploymentBody(name: string, replicas: number, metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...metadata },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'x', image: name }] } } },
  };
}

/**
 * One step's entry in the run journal, as the engine shows it to an action (packages/playbooks steps.ts): `checkpoint`
 * saves the undo record there, and a later attempt of the step (a retry after a crash) gets it back as `priorUndo`.
 */
export class StepJournal {
  saved: unknown = null;
  constructor(private readonly base: ActionContext) {}
  /** The context of the next attempt. */
  attempt(): ActionContext {
    return {
      ...this.base,
      checkpoint: async (undo: unknown) => {
        this.saved = JSON.parse(JSON.stringify(undo));
      },
      ...(this.saved !== null ? { priorUndo: this.saved } : {}),
    };
  }
}
