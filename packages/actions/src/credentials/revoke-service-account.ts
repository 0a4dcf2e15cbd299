/**
 * `credentials.revokeServiceAccount`: invalidates every token of a ServiceAccount and takes it out of every binding.
 *
 * 1. The ServiceAccount is deleted (precondition: the uid read) and created again with the same name, labels,
 *    annotations, imagePullSecrets, secrets references and automountServiceAccountToken: it gets a new uid. The API
 *    server checks a token's service-account uid claim against the live account, so every token issued before —
 *    TokenRequest, projected volume tokens, and legacy secret-based tokens, even those in secrets this action cannot
 *    find — is refused (401) from then on; the API server caches a successful token authentication for up to 10 s,
 *    so a token it accepted just before may pass for those seconds (measured here: ~10 s). In a real cluster the token controller then deletes every legacy token
 *    secret of the old uid.
 * 2. Legacy token secrets listed in the account's `.secrets` are deleted — without reading secrets: the responder has
 *    no get or list on secrets (a metadata-only listing is still `list`, which returns values). Each reference is
 *    deleted with `deletecollection` selecting `metadata.name=<ref>,type=kubernetes.io/service-account-token`, so the
 *    server checks the type and a mountable (non-token) secret listed there is never touched nor returned. Limitation:
 *    token secrets annotated with the account's name but not listed in `.secrets` (since 1.24, manually created ones)
 *    cannot be found without `list`; their tokens are dead anyway (step 1), and the token controller removes them.
 * 3. Every RoleBinding (all namespaces) and ClusterRoleBinding naming the account — as a ServiceAccount subject, or as
 *    the User `system:serviceaccount:<ns>:<name>` — loses that subject (deleted when it was the only one). Group
 *    subjects (`system:serviceaccounts[:<ns>]`) are left: they cover other accounts too. `system:` bindings and
 *    bindings in protected namespaces are left alone and listed.
 *
 * Undo restores the bindings (see `restoreBinding`); a token is never restored — they stay revoked, as do the deleted
 * secrets. Every run rotates the account again (a token issued since the last run, e.g. by the kubelet for a running
 * pod, dies too), so a second run is not a no-op: `changed` is true and the summary says it only rotated. Pods still
 * running as the account get fresh tokens from the kubelet for the new uid: quarantine or delete them as well.
 *
 * The undo record (the bindings planned for removal) is checkpointed in the run journal before the account is
 * touched. With `ctx.idempotencyKey`, the recreated account carries the key (`bulwark.io/action-key`) as a pointer: a
 * run retried after a crash that finds its key there and its record in the journal (`ctx.priorUndo`) recognises its
 * own recreation, does not rotate again, finishes the remaining removals and returns the journal's record. Nothing
 * is ever read back from the account's annotations — its namespace's editors can write them, and a record read from
 * there would let them choose which bindings undo creates (`bulwark.io/revocation`, which earlier versions wrote, is
 * dropped from the recreated account). A crash between deleting and recreating the account leaves it missing: a retry
 * then still removes the bindings and says the account is gone (it cannot know what it looked like).
 *
 * Undo restores exactly the journal's backups, each checked by `restoreBinding` (the revoked identity only, no
 * protected namespace, no unrecorded binding to a role that grants everything).
 */
import * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import { refuseProtected, type Action, type ActionContext, type PlannedChange } from '../action.js';
import { checkpoint, priorRecord } from '../journal.js';
import { statusOf } from '../kube.js';
import { ACTION_KEY_ANNOTATION, BINDING_RBAC, bindingTarget, whoAmI, type BindingBackup, type SubjectMatch } from './bindings.js';
import { leftAloneNote, mergeBackups, planRevocation, restoreBindings, revokeBindings } from './revocation.js';
import { withRoleScope } from './role-scope.js';

/** Earlier versions kept the undo record on the account under this annotation; never read, dropped on recreation. */
export const REVOCATION_ANNOTATION = 'bulwark.io/revocation';
const TOKEN_TYPE = 'kubernetes.io/service-account-token';

const dnsName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a DNS subdomain name').max(253);
const Params = z.strictObject({
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a namespace name').max(63),
  name: dnsName,
});
export type RevokeServiceAccountParams = z.infer<typeof Params>;
export type RevokeServiceAccountInput = z.input<typeof Params>;

export interface RevokeServiceAccountUndo {
  namespace: string;
  name: string;
  /** The account's uid before (its tokens are dead) and after the rotation; null when it was already gone. */
  previousUid: string | null;
  uid: string | null;
  /** `.secrets` references deleted if they were service-account-token secrets (the server checked the type). */
  tokenSecrets: string[];
  /** The bindings changed, as they were. */
  bindings: BindingBackup[];
}

const subjectMatch = (namespace: string, name: string): SubjectMatch => {
  const user = `system:serviceaccount:${namespace}:${name}`;
  return (s) => (s.kind === 'ServiceAccount' && s.name === name && s.namespace === namespace) || (s.kind === 'User' && s.name === user);
};

/** The account as it should be created again: what identifies and configures it, nothing server-set. */
function recreated(sa: k8s.V1ServiceAccount, extra: Record<string, string>): k8s.V1ServiceAccount {
  const annotations = Object.fromEntries(
    Object.entries(sa.metadata?.annotations ?? {}).filter(([k]) => k !== ACTION_KEY_ANNOTATION && k !== REVOCATION_ANNOTATION),
  );
  Object.assign(annotations, extra);
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: sa.metadata!.name!,
      namespace: sa.metadata!.namespace!,
      ...(sa.metadata?.labels ? { labels: sa.metadata.labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    ...(sa.imagePullSecrets ? { imagePullSecrets: sa.imagePullSecrets } : {}),
    ...(sa.secrets ? { secrets: sa.secrets } : {}),
    ...(sa.automountServiceAccountToken !== undefined ? { automountServiceAccountToken: sa.automountServiceAccountToken } : {}),
  };
}

const tokenSecretSelector = (ref: string): string => `metadata.name=${ref},type=${TOKEN_TYPE}`;

async function deleteTokenSecrets(ctx: ActionContext, namespace: string, refs: string[]): Promise<void> {
  for (const ref of refs) {
    await ctx.kube.core.deleteCollectionNamespacedSecret({ namespace, fieldSelector: tokenSecretSelector(ref) });
  }
}

async function readAccount(ctx: ActionContext, namespace: string, name: string): Promise<k8s.V1ServiceAccount | null> {
  try {
    return await ctx.kube.core.readNamespacedServiceAccount({ namespace, name });
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw err;
  }
}

export const revokeServiceAccount: Action<RevokeServiceAccountParams, RevokeServiceAccountUndo, RevokeServiceAccountInput> = {
  name: 'credentials.revokeServiceAccount',
  description:
    "Invalidate every token of a ServiceAccount (recreate it with a new uid, delete its legacy token secrets) and remove it from every binding; undo restores the bindings, never the tokens.",
  params: Params,
  rbac: [
    { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get', 'create', 'delete'] },
    // Only deletecollection, with a name and type field selector: no get/list, so no secret value is ever read.
    { apiGroups: [''], resources: ['secrets'], verbs: ['deletecollection'] },
    ...BINDING_RBAC,
  ],
  example: { namespace: 'payments', name: 'ci-deployer' },

  async run(ctx, input) {
    const params = Params.parse(input);
    refuseProtected(ctx, params.namespace);
    const { namespace, name } = params;
    const account = `serviceaccounts/${namespace}/${name}`;
    const username = `system:serviceaccount:${namespace}:${name}`;
    if ((await whoAmI(ctx.kube)).username === username) {
      throw new BulwarkError('BWK_BAD_REQUEST', `${username} is the responder's own identity: refused`, { field: 'name' });
    }
    const { core } = ctx.kube;
    const match = subjectMatch(namespace, name);
    const sa = await readAccount(ctx, namespace, name);

    // A retry of this very step after a crash: the account carries its key (a pointer) and the journal its record.
    const ours = ctx.idempotencyKey !== undefined && sa?.metadata?.annotations?.[ACTION_KEY_ANNOTATION] === ctx.idempotencyKey;
    const prior = priorRecord<RevokeServiceAccountUndo>(ctx, (r) => r.namespace === namespace && r.name === name && Array.isArray(r.bindings));
    if (sa && ours && prior && !ctx.dryRun) {
      const record = prior;
      record.uid = sa.metadata!.uid!; // the account recreated by the earlier attempt: this is it
      await deleteTokenSecrets(ctx, namespace, record.tokenSecrets);
      const { todo } = await planRevocation(ctx, match);
      record.bindings = mergeBackups(record.bindings, await revokeBindings(ctx.kube, todo, match));
      return { changed: true, summary: `${account}: revocation (this step, retried) completed; tokens stay revoked`, plan: [], undo: record };
    }

    const refs = (sa?.secrets ?? []).map((s) => s.name).filter((n): n is string => !!n);
    const { todo, backups: planned, changes, skipped } = await planRevocation(ctx, match);
    const plan: PlannedChange[] = [
      ...refs.map((ref): PlannedChange => ({ kind: 'delete', target: `secrets/${namespace}/${ref}`, detail: { deletecollection: { fieldSelector: tokenSecretSelector(ref) } } })),
      ...changes,
    ];
    const key = ctx.idempotencyKey;
    const record: RevokeServiceAccountUndo = { namespace, name, previousUid: prior?.previousUid ?? sa?.metadata?.uid ?? null, uid: null, tokenSecrets: refs, bindings: planned };
    const body = sa ? recreated(sa, key ? { [ACTION_KEY_ANNOTATION]: key } : {}) : null;
    if (sa && body) {
      plan.unshift(
        { kind: 'delete', target: account, detail: { preconditions: { uid: sa.metadata!.uid! } } },
        { kind: 'create', target: account, detail: body },
      );
    }
    const left = leftAloneNote(skipped);
    const outputs = { skipped };
    if (plan.length === 0) {
      return { changed: false, summary: `${account} does not exist and no binding names it: nothing to revoke${left}`, plan, undo: null, outputs };
    }
    if (ctx.dryRun) {
      const what = sa ? `rotate ${account} (all its tokens)` : `${account} does not exist;`;
      return { changed: false, summary: `would ${what} and remove it from ${todo.length} binding(s)${left}`, plan, undo: null, outputs };
    }

    // The journal first: a crash after any change below still leaves what undo needs (bindings an earlier attempt
    // backed up stay in: they may have been removed by it).
    record.bindings = mergeBackups(prior?.bindings ?? [], await withRoleScope(ctx.kube, planned));
    await checkpoint(ctx, record);
    let note = '';
    if (sa && body) {
      try {
        await core.deleteNamespacedServiceAccount({ namespace, name, body: { preconditions: { uid: sa.metadata!.uid! } } });
      } catch (err) {
        if (statusOf(err) !== 404 && statusOf(err) !== 409) throw err; // gone or replaced meanwhile: its uid is dead either way
      }
      try {
        record.uid = (await core.createNamespacedServiceAccount({ namespace, body })).metadata?.uid ?? null;
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
        // Created again by someone else (the service-account controller recreates `default` at once): a new uid all the same.
        record.uid = (await readAccount(ctx, namespace, name))?.metadata?.uid ?? null;
        note = ' (recreated by someone else first: labels and annotations not copied)';
      }
      await deleteTokenSecrets(ctx, namespace, refs);
    }
    const bindings = await revokeBindings(ctx.kube, todo, match);
    record.bindings = mergeBackups(prior?.bindings ?? [], bindings);
    const tokens = sa
      ? `rotated ${account} (uid ${record.previousUid} -> ${record.uid})${note}: every token issued before is invalid (within ~10 s: the API server's authentication cache)${refs.length ? `; deleted the token secrets among ${refs.join(', ')}` : ''}`
      : `${account} does not exist (no token of it validates)`;
    const removed = bindings.length > 0 ? `; removed it from ${bindings.map(bindingTarget).join(', ')}` : '; no binding names it any more (only rotated)';
    return {
      changed: true,
      summary: `${tokens}${removed}${left}. Pods running as it get tokens for the new account from their kubelet: quarantine or delete them too. Undo restores bindings only: tokens stay revoked`,
      plan,
      undo: record,
      outputs,
    };
  },

  async undo(ctx, record) {
    refuseProtected(ctx, record.namespace);
    const { plan, note: rest } = await restoreBindings(ctx, record.bindings, subjectMatch(record.namespace, record.name));
    return {
      changed: plan.length > 0 && !ctx.dryRun,
      summary: `${ctx.dryRun ? 'would restore' : 'restored'} ${plan.length} binding(s) of serviceaccounts/${record.namespace}/${record.name}${rest}; its tokens stay revoked (never restored)`,
      plan,
      undo: null,
    };
  },
};
