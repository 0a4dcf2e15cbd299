/**
 * Documents as shippers send them in an Elasticsearch `_bulk` body, with the action lines they use.
 * Shapes follow each shipper's documentation and real payloads (field sets trimmed, not invented).
 */
import { CONTAINER_ID } from './helpers.js';

/** Fluent Bit `es` output, Logstash_Format On, after the kubernetes filter (Merge_Log Off). */
export const fluentBitAction = { create: { _index: 'logstash-2024.05.01' } };
export const fluentBitDoc = {
  '@timestamp': '2024-05-01T10:00:00.123Z',
  time: '2024-05-01T10:00:00.123456789Z',
  stream: 'stderr',
  _p: 'F',
  log: '2024/05/01 10:00:00 [error] 29#29: *1 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory)\n',
  kubernetes: {
    pod_name: 'web-1',
    namespace_name: 'default',
    pod_id: 'b1946ac9-2b6a-4c8e-9f1d-5e0c3a7d2f41',
    labels: { app: 'web', 'pod-template-hash': '5d8f7c9b4', 'app.kubernetes.io/name': 'web' },
    annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-04-30T08:00:00Z' },
    host: 'node-1',
    container_name: 'nginx',
    docker_id: CONTAINER_ID,
    container_hash: 'docker.io/library/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31',
    container_image: 'docker.io/library/nginx:1.25',
  },
};

/** Filebeat 8.13 `container` input with add_kubernetes_metadata, writing to its data stream. */
export const filebeatAction = { create: { _index: 'filebeat-8.13.0' } };
export const filebeatDoc = {
  '@timestamp': '2024-05-01T10:00:01.456Z',
  agent: { type: 'filebeat', version: '8.13.0', name: 'filebeat-x7k2p', id: '5d1c2a9e-7f3b-4e8d-a6c1-0b9f8e7d6c5a' },
  ecs: { version: '8.0.0' },
  host: { name: 'node-1' },
  input: { type: 'container' },
  log: { offset: 12345, file: { path: `/var/log/containers/web-1_default_nginx-${CONTAINER_ID}.log` } },
  stream: 'stdout',
  message: '10.0.3.4 - - [01/May/2024:10:00:01 +0000] "GET / HTTP/1.1" 200 615 "-" "curl/8.5.0"',
  kubernetes: {
    pod: { name: 'web-1', uid: 'b1946ac9-2b6a-4c8e-9f1d-5e0c3a7d2f41', ip: '10.0.3.17' },
    namespace: 'default',
    namespace_uid: '7e2c9a1b-3d4f-4e5a-9b8c-1d2e3f4a5b6c',
    node: { name: 'node-1', uid: 'c0ffee00-1234-4cde-8f00-abcdefabcdef', hostname: 'node-1' },
    labels: { app: 'web', 'pod-template-hash': '5d8f7c9b4', app_kubernetes_io_name: 'web' },
    container: { name: 'nginx' },
    replicaset: { name: 'web-5d8f7c9b4' },
  },
  container: { id: CONTAINER_ID, runtime: 'containerd', image: { name: 'nginx:1.25' } },
  orchestrator: { cluster: { name: 'prod-eu1', url: 'https://10.0.0.1:443' } },
};

/** Vector `kubernetes_logs` source → `elasticsearch` sink (bulk mode, index vector-%Y.%m.%d). */
export const vectorAction = { index: { _index: 'vector-2024.05.01' } };
export const vectorDoc = {
  file: '/var/log/pods/default_web-1_b1946ac9-2b6a-4c8e-9f1d-5e0c3a7d2f41/nginx/0.log',
  kubernetes: {
    container_id: `containerd://${CONTAINER_ID}`,
    container_image: 'nginx:1.25',
    container_name: 'nginx',
    namespace_labels: { 'kubernetes.io/metadata.name': 'default' },
    node_labels: { 'kubernetes.io/hostname': 'node-1', 'topology.kubernetes.io/zone': 'eu-west-1a' },
    pod_ip: '10.0.3.17',
    pod_ips: ['10.0.3.17'],
    pod_labels: { app: 'web', 'pod-template-hash': '5d8f7c9b4' },
    pod_name: 'web-1',
    pod_namespace: 'default',
    pod_node_name: 'node-1',
    pod_owner: 'ReplicaSet/web-5d8f7c9b4',
    pod_uid: 'b1946ac9-2b6a-4c8e-9f1d-5e0c3a7d2f41',
  },
  message: '10.0.3.4 - - [01/May/2024:10:00:02 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.29"',
  source_type: 'kubernetes_logs',
  stream: 'stdout',
  timestamp: '2024-05-01T10:00:02.789012345Z',
};

/** Logstash `elasticsearch` output (ECS compatibility disabled): `host` is a string, `@version` is there. */
export const logstashAction = { index: { _index: 'logstash-2024.05.01', _type: '_doc' } };
export const logstashDoc = {
  '@timestamp': '2024-05-01T10:00:03.000Z',
  '@version': '1',
  host: 'logstash-0',
  type: 'syslog',
  message: '<86>May  1 10:00:03 bastion sshd[4242]: Accepted publickey for ops from 198.51.100.7 port 52222 ssh2',
  tags: ['syslog', 'beats_input_codec_plain_applied'],
};
