/**
 * Audit events as kube-apiserver 1.29 sends them to an audit webhook (batch mode: an EventList). Three requests:
 * a pod create logged at RequestResponse, a `kubectl exec` denied by RBAC (403), and a secrets list at Metadata level
 * made through impersonation.
 */
export const podCreate = {
  level: 'RequestResponse',
  auditID: '6c4d3a52-2d5f-4a8e-9d0b-1b5c9e3f7a10',
  stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply&fieldValidation=Strict',
  verb: 'create',
  user: {
    username: 'alice@example.com',
    groups: ['developers', 'system:authenticated'],
    extra: { 'authentication.kubernetes.io/credential-id': ['X509SHA256=5b0a5c1e0a1d7f2c'] },
  },
  sourceIPs: ['203.0.113.24'],
  userAgent: 'kubectl/v1.29.3 (linux/amd64) kubernetes/6813625',
  objectRef: { resource: 'pods', namespace: 'default', name: 'web-1', apiVersion: 'v1' },
  responseStatus: { metadata: {}, code: 201 },
  requestObject: {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }], resources: {} }] },
  },
  responseObject: {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: 'web-1',
      namespace: 'default',
      uid: 'b1946ac9-2b6a-4c8e-9f1d-5e0c3a7d2f41',
      resourceVersion: '918273',
      creationTimestamp: '2024-05-01T10:00:00Z',
      labels: { app: 'web' },
    },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }], restartPolicy: 'Always', serviceAccountName: 'default' },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  },
  requestReceivedTimestamp: '2024-05-01T10:00:00.123456Z',
  stageTimestamp: '2024-05-01T10:00:00.145678Z',
  annotations: {
    'authorization.k8s.io/decision': 'allow',
    'authorization.k8s.io/reason': 'RBAC: allowed by RoleBinding "dev-edit/default" of ClusterRole "edit" to Group "developers"',
    'pod-security.kubernetes.io/enforce-policy': 'baseline:latest',
  },
};

export const execDenied = {
  level: 'Metadata',
  auditID: '0e8b5f3c-7a41-4d2e-b6c9-3f1a2d4e5b60',
  stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/default/pods/web-1/exec?command=sh&container=nginx&stdin=true&stdout=true&tty=true',
  verb: 'create',
  user: {
    username: 'system:serviceaccount:ci:deployer',
    uid: '9a7c1e52-3b4d-4f6a-8c2e-1d0b9f8e7a65',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'],
  },
  sourceIPs: ['10.0.12.7', '10.0.0.1'],
  userAgent: 'kubectl/v1.29.3 (linux/amd64) kubernetes/6813625',
  objectRef: { resource: 'pods', namespace: 'default', name: 'web-1', apiVersion: 'v1', subresource: 'exec' },
  responseStatus: {
    metadata: {},
    status: 'Failure',
    message:
      'pods "web-1" is forbidden: User "system:serviceaccount:ci:deployer" cannot create resource "pods/exec" in API group "" in the namespace "default"',
    reason: 'Forbidden',
    details: { name: 'web-1', kind: 'pods' },
    code: 403,
  },
  requestReceivedTimestamp: '2024-05-01T10:00:05.000321Z',
  stageTimestamp: '2024-05-01T10:00:05.001002Z',
  annotations: { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' },
};

export const secretsList = {
  level: 'Metadata',
  auditID: 'f3a9c2d1-5e6b-4a7c-8d9e-0f1a2b3c4d5e',
  stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/kube-system/secrets?limit=500',
  verb: 'list',
  user: { username: 'ops-admin', groups: ['system:masters', 'system:authenticated'] },
  impersonatedUser: { username: 'system:serviceaccount:kube-system:backup', groups: ['system:serviceaccounts'] },
  sourceIPs: ['198.51.100.7'],
  userAgent: 'kubectl/v1.29.3 (darwin/arm64) kubernetes/6813625',
  objectRef: { resource: 'secrets', namespace: 'kube-system', apiVersion: 'v1' },
  responseStatus: { metadata: {}, code: 200 },
  requestReceivedTimestamp: '2024-05-01T10:00:09.987654Z',
  stageTimestamp: '2024-05-01T10:00:09.991234Z',
  annotations: {
    'authorization.k8s.io/decision': 'allow',
    'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "backup-read" of ClusterRole "secret-reader" to ServiceAccount "backup/kube-system"',
  },
};

export function eventList(items: unknown[]): string {
  return JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });
}
