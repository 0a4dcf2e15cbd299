/**
 * What a container log file's path says about its source. The kubelet names the files it manages
 * (https://kubernetes.io/docs/concepts/cluster-administration/logging/#log-location-node):
 *
 * - `/var/log/containers/<pod>_<namespace>_<container>-<container id>.log` — symlinks, one per container; pod,
 *   namespace and container names cannot contain `_` (DNS-1123), the id is 64 hex digits;
 * - `/var/log/pods/<namespace>_<pod>_<pod uid>/<container>/<restart count>.log` — the files themselves;
 * - Docker's own `/var/lib/docker/containers/<id>/<id>-json.log` outside Kubernetes.
 */

export interface ContainerPathInfo {
  namespace?: string;
  pod?: string;
  podUid?: string;
  container?: string;
  containerId?: string;
}

const CONTAINERS_RE = /(?:^|\/)([^/_]+)_([^/_]+)_([^/_]+)-([0-9a-f]{64})\.log$/;
const PODS_RE = /(?:^|\/)pods\/([^/_]+)_([^/_]+)_([0-9a-fA-F-]+)\/([^/]+)\/\d+\.log(?:\.[^/]*)?$/;
const DOCKER_RE = /\/containers\/([0-9a-f]{64})\/\1-json\.log(?:\.\d+)?$/;

/** Parses a log file path; an unknown layout yields `{}`. */
export function parseContainerLogPath(path: string | undefined): ContainerPathInfo {
  if (!path) return {};
  let m = CONTAINERS_RE.exec(path);
  if (m) return { pod: m[1]!, namespace: m[2]!, container: m[3]!, containerId: m[4]! };
  m = PODS_RE.exec(path);
  if (m) return { namespace: m[1]!, pod: m[2]!, podUid: m[3]!, container: m[4]! };
  m = DOCKER_RE.exec(path);
  if (m) return { containerId: m[1]! };
  return {};
}
