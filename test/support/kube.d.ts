import * as k8s from '@kubernetes/client-node';
export declare function kubeEnv(name: string): string;
/** A raw client for the API server as `token` (RBAC objects, TokenRequest, SelfSubjectReview). */
export declare function kubeConfigFor(token: string): k8s.KubeConfig;
export declare function applyResponderRole(): Promise<void>;
/** POST pods/exec as kubectl's SPDY-less clients do; resolves with the status code (400: no node to run it on). */
export declare function postExec(token: string, namespace: string, pod: string): Promise<number>;
/** The test API server's attacker (`mallory@example.com`): broad non-admin rights, including `bind` on cluster roles. */
export declare const ATTACKER = "mallory@example.com";
/** The attacker creates a privileged pod (first move of the multi-stage breach). */
export declare function createPrivilegedPod(attacker: k8s.KubeConfig, namespace: string, pod: string): Promise<void>;
/** The attacker binds themself to cluster-admin (the call that completes the multi-stage breach). */
export declare function bindToClusterAdmin(attacker: k8s.KubeConfig, name: string): Promise<void>;
