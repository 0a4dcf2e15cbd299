/**
 * What the Kubernetes actions share: name schemas, patch content types, JSON Pointer escaping, the annotation a
 * step's idempotency key is recorded in, and reading an API error's reason.
 */
import * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import { statusOf } from '../kube.js';

/** The idempotency key of the step that made a change (`ActionContext.idempotencyKey`), recorded on the object. */
export const ACTION_KEY_ANNOTATION = 'bulwark.io/action-key';

export const namespaceName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a namespace name').max(63);
export const objectName = z.string().min(1).max(253);

export const jsonPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);
export const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** One RFC 6901 path segment (`bulwark.io/quarantine` → `bulwark.io~1quarantine`). */
export const pointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** Reads an object, or null when it does not exist. */
export async function readOrNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw err;
  }
}

/** The API server's message for a failed call (its Status `message`), else the error's own. */
export function reasonOf(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      if (body.trim()) return body.trim().slice(0, 500);
    }
  } else if (body && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  return err instanceof Error ? err.message.split('\n')[0]!.slice(0, 500) : String(err);
}
