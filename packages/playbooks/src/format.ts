/**
 * The playbook format, YAML in `playbooks/` (playbooks/README.md). A playbook says when it applies (`trigger`), what it
 * takes from the alert and incident (`inputs`, typed), and its `steps`: an action with parameters, an optional
 * condition, approval, retries, timeout and undo. Values are filled in by `{{ path }}` references (template.ts): a
 * lookup, never an expression, and no value ever reaches a shell (actions call APIs, not commands).
 */
import { z } from 'zod';
import { DurationSchema } from '@bulwark/config';
import { DEFAULT_TRUSTED_SOURCES, Severities, SourceKindSchema } from '@bulwark/schema';

const name = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,98}[a-z0-9])?$/, 'lowercase letters, digits and -, at most 100');
const stepId = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'a lowercase letter, then letters, digits or _ (at most 63)');

/** Where an input's value comes from: a path into `{alert, incident}`, or several tried in order. */
const fromPath = z.string().regex(/^(alert|incident)(\.[A-Za-z0-9_@/:-]+)+$/, 'a path such as alert.entity.namespace');

/** `env:NAME` or `file:/absolute/path`: where a secret is (secrets.ts), never the secret. */
export const SECRET_REF = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/;

export const InputSchema = z
  .strictObject({
    /**
     * `secret`: a secret reference (`env:NAME` or `file:/path`), for credentials such as a chat webhook URL — the
     * value never sits in the playbook, the run journal or a request; never taken from an alert (`from`).
     */
    type: z.enum(['string', 'number', 'boolean', 'string[]', 'secret']).default('string'),
    description: z.string().max(1000).optional(),
    from: z.union([fromPath, z.array(fromPath).min(1).max(8)]).optional(),
    default: z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]).optional(),
    /** Without a value (from the trigger, the caller or a default) the run does not start. Default true. */
    required: z.boolean().default(true),
    /** A regular expression (linear-time engine) the value must match, e.g. a Kubernetes name. */
    pattern: z.string().max(500).optional(),
  })
  .refine((i) => i.type !== 'secret' || i.from === undefined, {
    message: 'a secret input is never taken from the alert or incident (whoever writes them would choose which secret is read)',
    path: ['from'],
  });
export type PlaybookInput = z.infer<typeof InputSchema>;

/** A comparison on one referenced value; `value` is a `{{ path }}` reference. */
const Comparison = z
  .strictObject({
    value: z.string().min(1).max(500),
    equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
    in: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).max(100).optional(),
    not_in: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).max(100).optional(),
    exists: z.boolean().optional(),
    min_severity: z.enum(Severities).optional(),
  })
  .refine((c) => [c.equals, c.in, c.not_in, c.exists, c.min_severity].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of equals, in, not_in, exists, min_severity',
  });
export const WhenSchema = z.union([
  Comparison,
  z.strictObject({ all: z.array(Comparison).min(1).max(20) }),
  z.strictObject({ any: z.array(Comparison).min(1).max(20) }),
]);
export type When = z.infer<typeof WhenSchema>;

/**
 * Scopes that may decide an approval: `approve` (a person on call), or only `admin`. Not `respond`: starting a run
 * and approving it are different duties.
 */
export const APPROVER_SCOPES = ['approve', 'admin'] as const;

export const ApprovalSchema = z.strictObject({
  required: z.boolean().default(true),
  /** Token scopes that may decide (admin always may). */
  approvers: z
    .array(z.string())
    .min(1)
    .default(['approve'])
    .superRefine((scopes, ctx) => {
      for (const scope of scopes) {
        if (!(APPROVER_SCOPES as readonly string[]).includes(scope)) {
          ctx.addIssue({
            code: 'custom',
            message: `approver scope ${JSON.stringify(scope)}: approvals need the approve scope (or admin); respond starts runs but never decides them`,
          });
        }
      }
    }),
  /** After this long without a decision, `default` applies. Omit to wait for ever. */
  timeout: DurationSchema.optional(),
  default: z.enum(['approve', 'reject']).default('reject'),
});

export const RetriesSchema = z.strictObject({
  attempts: z.number().int().min(1).max(10).default(1),
  backoff: DurationSchema.default(1000),
  max_backoff: DurationSchema.default(60_000),
});

export const StepSchema = z.strictObject({
  id: stepId,
  name: z.string().max(200).optional(),
  action: z.string().regex(/^[a-z0-9]+\.[A-Za-z0-9]+$/, 'an action name such as k8s.quarantinePod'),
  with: z.record(z.string(), z.unknown()).default({}),
  when: WhenSchema.optional(),
  approval: z.union([z.literal('auto'), ApprovalSchema]).default('auto'),
  retries: RetriesSchema.prefault({}),
  timeout: DurationSchema.default(60_000),
  continue_on_error: z.boolean().default(false),
  /** `auto`: the action's own inverse; `none`: not reversed by a run undo; or another action to run instead. */
  undo: z
    .union([z.enum(['auto', 'none']), z.strictObject({ action: z.string().min(1), with: z.record(z.string(), z.unknown()).default({}) })])
    .default('auto'),
});
export type PlaybookStep = z.infer<typeof StepSchema>;

export const TriggerSchema = z
  .strictObject({
    /** Rule ids or names (any). */
    rules: z.array(z.string().min(1)).max(200).optional(),
    /** Rule tags (any), e.g. attack.t1609. */
    tags: z.array(z.string().min(1)).max(100).optional(),
    min_severity: z.enum(Severities).optional(),
    /** The alert's entity kind (any). */
    entity_kinds: z.array(z.enum(['workload', 'user', 'source_ip'])).min(1).optional(),
    /** The alert's source (any): rule, api, alertmanager, falco. */
    sources: z.array(z.enum(['rule', 'api', 'alertmanager', 'falco'])).min(1).optional(),
    /** Conditions on the alert's incident. */
    incident: z
      .strictObject({
        min_severity: z.enum(Severities).optional(),
        min_alerts: z.number().int().min(1).optional(),
        statuses: z.array(z.enum(['open', 'acknowledged', 'contained', 'resolved'])).min(1).optional(),
      })
      .optional(),
    /** At most one run per incident (default), per alert, or per entity. */
    once_per: z.enum(['incident', 'alert', 'entity']).default('incident'),
    /**
     * Source kinds whose evidence may start this playbook's steps without a person: only alerts of
     * Bulwark's own rules over these sources (or, listing `external` / `alertmanager`, alerts other tools posted).
     * Default: k8s-audit and falco. `[]`: no evidence is trusted, every acting step waits for a person.
     */
    trust: z.array(SourceKindSchema).max(8).default([...DEFAULT_TRUSTED_SOURCES]),
    /**
     * What an alert whose evidence is not trusted does: `approve` (default) starts the run with every acting step
     * waiting for a person; `notify` runs only the notify.* steps and skips the rest. Either way its run is per alert,
     * so it never takes the place of the incident's automatic run.
     */
    untrusted: z.enum(['approve', 'notify']).default('approve'),
  })
  .refine((t) => t.rules || t.tags || t.min_severity || t.incident || t.entity_kinds || t.sources, {
    message: 'a trigger needs at least one condition (rules, tags, min_severity, entity_kinds, sources or incident)',
  });

export const PlaybookSchema = z.strictObject({
  name,
  description: z.string().min(1).max(4000),
  /** Omit for a playbook that only runs when asked (`POST /v1/playbooks/:name/run`). */
  trigger: TriggerSchema.optional(),
  /** False: never triggered automatically (still runnable by hand). */
  enabled: z.boolean().default(true),
  inputs: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'input names: a lowercase letter, then letters, digits or _'), InputSchema).default({}),
  steps: z.array(StepSchema).min(1).max(50),
  /**
   * Separation of duties (docs/ARCHITECTURE.md, "Separation of duties"): the token that started a run — and any token of the same name, the same
   * person — cannot approve its steps. Default on; false lets a single operator approve their own runs.
   */
  separation_of_duties: z.boolean().default(true),
});
export type PlaybookSpec = z.infer<typeof PlaybookSchema>;

/** A validated playbook with where it came from. */
export interface Playbook extends PlaybookSpec {
  file: string;
  digest: string;
}
