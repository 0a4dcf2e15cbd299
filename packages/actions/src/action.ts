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
  /** Values later playbook steps may use (`{{ steps.<id>.outputs.<name> }}`), e.g. an evidence hash. */
  outputs?: Record<string, unknown>;
}

export interface ActionContext {
  /** The Kubernetes API as the responder identity (the engine creates it on first use). */
  kube: KubeClients;
  dryRun?: boolean;
  /** Namespaces no action may touch (default: kube-system and Bulwark's own, `bulwark`). */
  protectedNamespaces?: readonly string[];
  /**
   * Unique per run and step (`<run id>/<step id>`), the same on every retry: actions that create or mark objects
   * record it there, so a step retried after a crash recognises its own earlier change (and still returns its undo
   * record), and outgoing notifications carry it as their `Idempotency-Key` / dedup key.
   */
  idempotencyKey?: string;
  /**
   * For actions that change several objects one by one: saves the undo record so far in the step's journal before the
   * next change, so a crash (or a failure) midway still leaves what undo needs. A retry gets it back as `priorUndo`.
   */
  checkpoint?: (undo: unknown) => Promise<void>;
  /** What an earlier attempt of this step checkpointed, if anything (merge it into the new undo record). */
  priorUndo?: unknown;
  /** Which run and step act, and for which incident (audit, evidence, notifications). */
  run?: { id: string; step: string; playbook: string; incidentId?: string; alertId?: string };
  /** Outgoing HTTP (`http.request`, `notify.webhook`, `credentials.revokeExternal`). */
  http?: HttpSettings;
  /** SMTP for `notify.email`. */
  smtp?: SmtpSettings;
  /** Resolves a secret reference (`env:NAME` or `file:/path`) to its value; never logged, never in a plan. */
  secret?: (ref: string) => string;
  /** The incident the run is about, and where evidence and incident changes go (the responder provides it). */
  incidents?: IncidentPort;
  /** Link to an incident in the console/API for messages, e.g. `https://bulwark.example/v1/incidents/<id>`. */
  incidentUrl?: (id: string) => string;
}

export interface HttpSettings {
  /** Hosts (exact, or `*.example.com`) requests may go to; nothing else is reached. */
  allowHosts: readonly string[];
  /**
   * Loopback, private, link-local and cloud metadata addresses are refused even for an allowed host (SSRF), unless
   * listed here as CIDRs (tests allow 127.0.0.0/8 to reach their local recording server).
   */
  allowCidrs?: readonly string[];
  timeoutMs?: number;
}

export interface SmtpSettings {
  host: string;
  port: number;
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
  secure?: boolean;
  /** Refuse to send without STARTTLS. */
  requireTls?: boolean;
  user?: string;
  /** Secret reference for the password. */
  passwordRef?: string;
  from: string;
  /** Trust this CA file (a private relay), PEM. */
  caFile?: string;
  /** Accept any certificate (tests only). */
  insecureSkipVerify?: boolean;
}

/** What actions may do to the incident a run is about; every call is audited by the implementation. */
export interface IncidentPort {
  /** The incident and its alerts' summary, for messages (null without an incident). */
  summary(incidentId: string): Promise<IncidentSummary | null>;
  /** Stores evidence (content hashed with SHA-256) on the incident; returns its reference. */
  addEvidence(incidentId: string, evidence: { name: string; mediaType: string; content: string; sha256: string }): Promise<string>;
  update(
    incidentId: string,
    change: { status?: string; severity?: string; addTags?: string[]; removeTags?: string[]; comment?: string },
  ): Promise<{ before: Record<string, unknown>; after: Record<string, unknown>; changed: boolean }>;
}

export interface IncidentSummary {
  id: string;
  title: string;
  severity: string;
  status: string;
  entity: string;
  alert_count: number;
  first_seen: string;
  last_seen: string;
  /** Latest alerts: rule name and severity. */
  alerts: { rule: string; severity: string; at: string }[];
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
  /**
   * Counted against the blast-radius limits (actions per window per playbook and overall). False for actions that
   * only tell people or record (notify, incident updates). Default true.
   */
  limited?: boolean;
  /** Validates `params` (BWK_BAD_REQUEST-style errors name the field) before touching anything. */
  run(ctx: ActionContext, params: I): Promise<ActionResult<U>>;
  undo(ctx: ActionContext, record: U): Promise<ActionResult<null>>;
}

export const DEFAULT_PROTECTED_NAMESPACES = ['kube-system', 'bulwark'] as const;

/**
 * Bulwark's own workloads carry `app.kubernetes.io/part-of: bulwark` (or `app.kubernetes.io/name: bulwark`), wherever
 * they run: no action may contain, scale or relabel them — an attacker who can make Bulwark alert about its own pods
 * must not be able to make it switch itself off.
 * @throws BulwarkError BWK_BAD_REQUEST naming `field` when the object is Bulwark's.
 */
export function refuseOwnWorkload(meta: { labels?: Record<string, string> } | undefined, what: string, field: string): void {
  const labels = meta?.labels ?? {};
  if (labels['app.kubernetes.io/part-of'] === 'bulwark' || labels['app.kubernetes.io/name'] === 'bulwark') {
    throw new BulwarkError('BWK_BAD_REQUEST', `${what} is part of Bulwark itself: no action may change it`, { field });
  }
}

/** @throws BulwarkError BWK_BAD_REQUEST naming `namespace` when it is protected. */
export function refuseProtected(ctx: ActionContext, namespace: string): void {
  if ((ctx.protectedNamespaces ?? DEFAULT_PROTECTED_NAMESPACES).includes(namespace)) {
    throw new BulwarkError('BWK_BAD_REQUEST', `namespace ${namespace} is protected: no action may change it`, { field: 'namespace' });
  }
}

/** Any action, for registries (each action's own types stay precise where it is defined). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAction = Action<any, any, any>;
