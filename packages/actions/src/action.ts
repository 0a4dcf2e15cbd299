/**
 * The action contract (ARCHITECTURE.md, "Self-describing components"): every containment step is one folder that
 * says what it is — name, parameters (zod), the Kubernetes rights it needs, an example — and how to do and undo it.
 * The playbook engine (packages/playbooks) journals each run: `run` returns the undo record it must keep, `undo`
 * takes it back. Both are idempotent, so a retried step never repeats a side effect, and `dryRun` returns the exact
 * plan without applying anything.
 */
import type { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import type { KubeClients } from './kube.js';

/** One change an action makes (or would make, in a dry run), in words and as the object or patch it sends. */
export interface PlannedChange {
  kind: 'create' | 'patch' | 'delete';
  target: string;
  detail: unknown;
}

export interface ActionResult<U> {
  /** False when the target was already in the wanted state (a second run). */
  changed: boolean;
  summary: string;
  /** What was applied, or with `dryRun` what would be. */
  plan: PlannedChange[];
  /** What `undo` needs; null in a dry run or when nothing changed that undo should reverse. */
  undo: U | null;
}

export interface ActionContext {
  kube: KubeClients;
  dryRun?: boolean;
  /** Namespaces no action may touch (default: kube-system and Bulwark's own, `bulwark`). */
  protectedNamespaces?: readonly string[];
}

/** A ClusterRole rule the action needs; deploy/responder-clusterrole.yaml is the union over every action. */
export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** `P`: parameters after validation (defaults applied); `I`: what a playbook may write (defaults optional). */
export interface Action<P, U, I = P> {
  name: string;
  description: string;
  params: z.ZodType<P, I>;
  rbac: RbacRule[];
  example: I;
  /** Validates `params` (BWK_BAD_REQUEST-style errors name the field) before touching anything. */
  run(ctx: ActionContext, params: I): Promise<ActionResult<U>>;
  undo(ctx: ActionContext, record: U): Promise<ActionResult<null>>;
}

export const DEFAULT_PROTECTED_NAMESPACES = ['kube-system', 'bulwark'] as const;

/** @throws BulwarkError BWK_BAD_REQUEST naming `namespace` when it is protected. */
export function refuseProtected(ctx: ActionContext, namespace: string): void {
  if ((ctx.protectedNamespaces ?? DEFAULT_PROTECTED_NAMESPACES).includes(namespace)) {
    throw new BulwarkError('BWK_BAD_REQUEST', `namespace ${namespace} is protected: no action may change it`, { field: 'namespace' });
  }
}
