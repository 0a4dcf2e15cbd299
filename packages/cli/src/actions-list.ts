/**
 * `bulwark actions list [--json]`: the containment actions this build has (the local ACTIONS registry, no server),
 * each with what it does, whether the blast-radius limits count it, its parameters, the Kubernetes rights it needs
 * (deploy/responder-clusterrole.yaml is their union) and an example `with:` block to paste into a playbook step.
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import { ACTIONS, type AnyAction, type RbacRule } from '@bulwark/actions';
import { line, registryListCommand, type CliIo } from './io.js';

export interface ActionRow {
  name: string;
  description: string;
  /** Counted against the blast-radius limits (actions that only tell or record are not). */
  limited: boolean;
  /** JSON Schema of what a playbook may write under `with:` (defaults optional). */
  params: Record<string, unknown>;
  rbac: RbacRule[];
  example: unknown;
}

export function actionRows(actions: Iterable<AnyAction> = ACTIONS.values()): ActionRow[] {
  return [...actions].map((a) => ({
    name: a.name,
    description: a.description,
    limited: a.limited !== false,
    params: z.toJSONSchema(a.params, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    rbac: a.rbac,
    example: a.example,
  }));
}

/** `"" pods: get, patch` — one ClusterRole rule in a line (the core group is ""). */
export function rbacText(rule: RbacRule): string {
  const groups = rule.apiGroups.map((g) => (g === '' ? '""' : g)).join(',');
  return `${groups} ${rule.resources.join(',')}: ${rule.verbs.join(', ')}`;
}

/** Parameter names, required ones first and marked with `*`. */
function paramsText(schema: Record<string, unknown>): string {
  const properties = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const names = [...properties.filter((p) => required.has(p)).map((p) => `${p}*`), ...properties.filter((p) => !required.has(p))];
  return names.length > 0 ? names.join(', ') : '(none)';
}

function indent(text: string, by: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

function printRow(io: CliIo, row: ActionRow): void {
  line(io.stdout, row.name);
  line(io.stdout, `  ${row.description}`);
  line(io.stdout, `  limited:  ${row.limited ? 'yes (counted against the blast-radius limits)' : 'no'}`);
  line(io.stdout, `  params:   ${paramsText(row.params)}`);
  if (row.rbac.length === 0) line(io.stdout, '  rbac:     none (no Kubernetes access)');
  else {
    line(io.stdout, '  rbac:');
    for (const rule of row.rbac) line(io.stdout, `    - ${rbacText(rule)}`);
  }
  line(io.stdout, '  example:');
  line(io.stdout, indent(stringify({ action: row.name, with: row.example }), '    '));
}

/** Runs the command; `argv` is what follows `actions`. */
export function actionsCommand(argv: string[], io: CliIo): number {
  return registryListCommand('actions', argv, io, actionRows, (rows) => {
    rows.forEach((row, i) => {
      if (i > 0) line(io.stdout);
      printRow(io, row);
    });
    line(io.stdout);
    line(io.stdout, `${rows.length} actions (params marked * are required)`);
  });
}
