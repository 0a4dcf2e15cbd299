/**
 * The one safety walk every parsed record gets before any mapping touches it: it bounds nesting depth and rejects the
 * keys that let a JSON document reach `Object.prototype` (`__proto__`, `constructor`, `prototype`) — also as a
 * segment of a dotted key (`"a.__proto__.b"`), because dotted keys are expanded into objects later. It is iterative
 * (an explicit stack), so a crafted document cannot overflow the call stack whatever `maxDepth` is configured.
 *
 * Depth counts containers: the record is depth 1, `{"a":{}}` reaches depth 2. A dotted key counts as the objects it
 * will expand into, so `{"a.b.c": 1}` reaches depth 3.
 */
import { RecordProblem } from './problems.js';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** True when `key`, or one of its dot-separated segments, would touch a prototype if used as a property name. */
export function isForbiddenKey(key: string): boolean {
  if (FORBIDDEN.has(key)) return true;
  if (!key.includes('.')) return false;
  // Dotted keys are common (Kubernetes annotations and labels); only one naming a forbidden word needs splitting.
  if (!key.includes('__proto__') && !key.includes('constructor') && !key.includes('prototype')) return false;
  return key.split('.').some((segment) => FORBIDDEN.has(segment));
}

interface Frame {
  node: object;
  depth: number;
  parent: Frame | undefined;
  key: string | number;
}

/** Dotted field path of a frame, arrays as `[i]`: `items[3].requestObject.spec`; the root frame's key is the prefix. */
function pathOf(frame: Frame, last?: string | number): string {
  const keys: Array<string | number> = last === undefined ? [] : [last];
  let f = frame;
  for (; f.parent; f = f.parent) keys.push(f.key);
  let path = f.key as string;
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i]!;
    path += typeof k === 'number' ? `[${k}]` : path === '' ? k : `.${k}`;
  }
  return path;
}

function dotsIn(key: string): number {
  let n = 0;
  for (let i = key.indexOf('.'); i !== -1; i = key.indexOf('.', i + 1)) n++;
  return n;
}

/**
 * Walks `record` and throws a RecordProblem (TOO_DEEP or FORBIDDEN_KEY, `field` = the offending path, after
 * `pathPrefix` when the record sits inside a larger body) on the first violation. Scalars are always safe.
 *
 * Every `_bulk` document takes this walk, and nearly all pass: they take `isSafe`, which allocates nothing; only a
 * record it finds unsafe is walked again by `throwFirstProblem`, which keeps the path of each node to name the field.
 */
export function assertSafeRecord(record: unknown, maxDepth: number, pathPrefix = ''): void {
  if (record === null || typeof record !== 'object') return;
  if (!isSafe(record, maxDepth)) throwFirstProblem(record, maxDepth, pathPrefix);
}

// The containers still to visit and their depths, kept between calls (the walk is synchronous) so a walk allocates
// nothing; a visited slot is cleared so no record is kept alive by them.
const pendingNodes: Array<object | undefined> = [];
const pendingDepths: number[] = [];

/** True when a key is, or (dotted) names, a prototype word; the first-letter test spares most keys the Set lookup. */
function isForbiddenPlainKey(key: string): boolean {
  const c = key.charCodeAt(0);
  return (c === 95 /* _ */ || c === 99 /* c */ || c === 112 /* p */) && FORBIDDEN.has(key);
}

/** The checks of `throwFirstProblem`, over the same nodes, answering only whether any fails. */
function isSafe(record: object, maxDepth: number): boolean {
  pendingNodes[0] = record;
  pendingDepths[0] = 1;
  let top = 1;
  while (top > 0) {
    top--;
    const node = pendingNodes[top]!;
    pendingNodes[top] = undefined;
    const depth = pendingDepths[top]!;
    if (depth > maxDepth) return unsafe(top);
    if (Array.isArray(node)) {
      const list = node as unknown[];
      for (let i = 0; i < list.length; i++) {
        const child = list[i];
        if (child !== null && typeof child === 'object') {
          pendingNodes[top] = child;
          pendingDepths[top++] = depth + 1;
        }
      }
      continue;
    }
    const obj = node as Record<string, unknown>;
    for (const key in obj) {
      let childDepth = depth + 1;
      if (key.includes('.')) {
        if (isForbiddenKey(key)) return unsafe(top);
        childDepth += dotsIn(key);
        if (childDepth - 1 > maxDepth) return unsafe(top);
      } else if (isForbiddenPlainKey(key)) {
        return unsafe(top);
      }
      const child = obj[key];
      if (child !== null && typeof child === 'object') {
        pendingNodes[top] = child;
        pendingDepths[top++] = childDepth;
      }
    }
  }
  return true;
}

/** Clears the slots still held when a walk stops early. */
function unsafe(top: number): false {
  for (let i = 0; i < top; i++) pendingNodes[i] = undefined;
  return false;
}

/** The walk that names the field: throws the first violation in its order (the record is known to have one). */
function throwFirstProblem(record: object, maxDepth: number, pathPrefix: string): void {
  const stack: Frame[] = [{ node: record, depth: 1, parent: undefined, key: pathPrefix }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.depth > maxDepth) {
      throw new RecordProblem('BWK_INGEST_TOO_DEEP', `nesting exceeds the limit of ${maxDepth} levels`, pathOf(frame));
    }
    if (Array.isArray(frame.node)) {
      const list = frame.node as unknown[];
      for (let i = 0; i < list.length; i++) {
        const child = list[i];
        if (child !== null && typeof child === 'object') stack.push({ node: child, depth: frame.depth + 1, parent: frame, key: i });
      }
      continue;
    }
    const obj = frame.node as Record<string, unknown>;
    for (const key in obj) {
      let childDepth = frame.depth + 1;
      if (key.includes('.')) {
        if (isForbiddenKey(key)) throw forbidden(pathOf(frame, key), key);
        childDepth += dotsIn(key);
        if (childDepth - 1 > maxDepth) {
          throw new RecordProblem('BWK_INGEST_TOO_DEEP', `dotted key expands beyond the limit of ${maxDepth} levels`, pathOf(frame, key));
        }
      } else if (FORBIDDEN.has(key)) {
        throw forbidden(pathOf(frame, key), key);
      }
      const child = obj[key];
      if (child !== null && typeof child === 'object') stack.push({ node: child, depth: childDepth, parent: frame, key });
    }
  }
}

function forbidden(path: string, key: string): RecordProblem {
  return new RecordProblem('BWK_INGEST_FORBIDDEN_KEY', `key "${key}" is reserved and not allowed`, path);
}
