/**
 * Label bounding. Every series is a time series Prometheus keeps in memory, so a label whose value comes from text a
 * sender chose (a user name, a pod name, a raw path) would let anyone who can reach a route grow Bulwark's and
 * Prometheus's memory without limit. Every label therefore declares its bound where the metric is defined:
 * - a closed set (`values`): anything else is recorded as `other`;
 * - an open set of names from Bulwark's own files or code (`open`: rule ids, route templates, action names), capped at
 *   `max` distinct values per process — later newcomers are recorded as `other` — and each value at 128 characters
 *   of a plain alphabet, so even a mistake upstream cannot turn it into an attacker's channel.
 */

/** The value every out-of-bound label value is recorded as. */
export const OTHER = 'other';

/** The longest open label value kept; longer ones are `other`. */
const MAX_VALUE_LENGTH = 128;
/** What an open label value may contain: names, ids, paths of route templates, never free text. */
const OPEN_VALUE = /^[A-Za-z0-9_.:/{}*@-]+$/;

export type LabelBound =
  | { readonly kind: 'closed'; readonly values: readonly string[]; readonly describe: string }
  | { readonly kind: 'open'; readonly max: number; readonly describe: string };

/** A label whose values are exactly `values` (plus `other`). */
export function closed(values: readonly string[], describe: string): LabelBound {
  return Object.freeze({ kind: 'closed', values: Object.freeze([...values]), describe });
}

/** A label naming things from Bulwark's own code or files: at most `max` distinct values per process. */
export function open(max: number, describe: string): LabelBound {
  return Object.freeze({ kind: 'open', max, describe });
}

/** Maps raw values of one label to its bounded values; keeps the distinct values an open label has seen. */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  private readonly allowed: ReadonlySet<string> | null;

  constructor(readonly name: string, readonly bound: LabelBound) {
    this.allowed = bound.kind === 'closed' ? new Set(bound.values) : null;
  }

  value(raw: string | number | undefined): string {
    const text = raw === undefined ? '' : String(raw);
    if (this.allowed) return this.allowed.has(text) ? text : OTHER;
    if (this.bound.kind !== 'open') return OTHER;
    if (this.seen.has(text)) return text;
    if (text === '' || text.length > MAX_VALUE_LENGTH || !OPEN_VALUE.test(text) || this.seen.size >= this.bound.max) return OTHER;
    this.seen.add(text);
    return text;
  }

  /** How many distinct values this open label has admitted (closed labels: 0). */
  get admitted(): number {
    return this.seen.size;
  }
}

/** The HTTP status class of a status code: `2xx` … `5xx`. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : OTHER;
}

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
