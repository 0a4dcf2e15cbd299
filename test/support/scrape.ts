/**
 * A `GET /metrics` answer read back as flat samples of the Prometheus text format (version 0.0.4): every sample line
 * is `name{label="value",…} value`, histograms as their `_bucket`, `_sum` and `_count` lines. Read here rather than
 * with parse-prometheus-text-format, whose histogram reading keeps only unlabelled histograms (it folds every
 * labelled series into one), which is all of ours. Label values are unescaped as the format says (`\\`, `\"`, `\n`).
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Scrape {
  readonly samples: readonly Sample[];
  /** `# TYPE` of each family. */
  readonly types: ReadonlyMap<string, string>;
  /** Every name a sample or a `# TYPE` line has (histograms: also their `_bucket`, `_sum` and `_count`). */
  names(): Set<string>;
  /** Sum of the samples `name` whose labels include `labels`; 0 when there is none. */
  value(name: string, labels?: Record<string, string>): number;
  /** The label sets of `name`'s samples. */
  series(name: string): Record<string, string>[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function labelsOf(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex;
    const m = LABEL.exec(text);
    if (!m || LABEL.lastIndex === at) throw new Error(`unreadable labels in ${JSON.stringify(line)}`);
    labels[m[1]!] = unescape(m[2]!);
  }
  return labels;
}

function toNumber(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

export function parseScrape(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) types.set(type[1]!, type[2]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`unreadable sample line ${JSON.stringify(line)}`);
    samples.push({ name: m[1]!, labels: m[2] ? labelsOf(m[2], line) : {}, value: toNumber(m[3]!) });
  }
  const matching = (name: string, labels: Record<string, string>) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    samples,
    types,
    names() {
      const out = new Set(samples.map((s) => s.name));
      for (const [name, type] of types) {
        out.add(name);
        if (type === 'histogram' || type === 'summary') for (const part of ['_bucket', '_sum', '_count']) out.add(`${name}${part}`);
      }
      return out;
    },
    value(name, labels = {}) {
      return matching(name, labels).reduce((total, s) => total + s.value, 0);
    },
    series(name) {
      const family = types.get(name) === 'histogram' ? `${name}_count` : name;
      return matching(family, {}).map((s) => ({ ...s.labels }));
    },
  };
}
