/**
 * Loads the configuration once at start-up: an optional YAML file (`BULWARK_CONFIG`), then environment variables on
 * top, validated together so that every problem is reported in one go with where it came from.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { BulwarkError } from '@bulwark/schema';
import { ConfigSchema, ENV_VARS, LOADER_ENV_VARS, type Config } from './schema.js';

export interface ConfigProblem {
  /** Dotted config path, e.g. `server.port`. */
  path: string;
  message: string;
  /** The file or env var the bad value came from. */
  source: string;
}

/** Every problem of a configuration at once (BWK_CONFIG_INVALID, details.problems), so one fix-up pass suffices. */
export class ConfigError extends BulwarkError<'BWK_CONFIG_INVALID'> {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super('BWK_CONFIG_INVALID', `invalid configuration:\n${problems.map((p) => `  - ${p.path}: ${p.message} (from ${p.source})`).join('\n')}`, {
      problems,
    });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

function readYaml(file: string, problems: ConfigProblem[]): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ path: '(file)', message: `cannot read: ${(err as Error).message}`, source: file });
    return {};
  }
  try {
    const doc = parseYaml(text) as unknown;
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      problems.push({ path: '(root)', message: 'must be a mapping', source: file });
      return {};
    }
    return doc as Tree;
  } catch (err) {
    problems.push({ path: '(file)', message: `not valid YAML: ${(err as Error).message}`, source: file });
    return {};
  }
}

/** Load and validate; throws `ConfigError` listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: ConfigProblem[] = [];
  const file = env.BULWARK_CONFIG;
  const tree: Tree = file ? readYaml(file, problems) : {};
  const sources = new Map<string, string>();
  for (const [name, path] of Object.entries(ENV_VARS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(tree, path, value);
    sources.set(path.join('.'), name);
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith('BULWARK_') && !(name in ENV_VARS) && !LOADER_ENV_VARS.includes(name)) {
      problems.push({ path: name, message: 'unknown environment variable', source: 'environment' });
    }
  }
  const result = ConfigSchema.safeParse(tree);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
      for (const key of keys) {
        const path = [...issue.path, ...(key === undefined ? [] : [key])].map(String).join('.') || '(root)';
        const message = key === undefined ? issue.message : 'unknown key';
        problems.push({ path, message, source: sources.get(path) ?? file ?? 'defaults' });
      }
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return result.data!;
}
