/**
 * The shipper configurations the README shows are these files (test/shippers/configs/), rendered: a test renders one
 * with its loopback port, token and scratch paths; the README shows the same file rendered with the placeholders an
 * operator fills in. `readme-snippets.ts` writes them into the README and `documented.shipper.ts` fails when the
 * README's text differs, so a README config is always one a test ran (or, for a shipper that cannot run here, the one
 * whose request shape a test sent).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./configs/', import.meta.url));

/** The README's values for every placeholder. */
export const README_VALUES: Readonly<Record<string, string>> = Object.freeze({
  host: 'bulwark.example.internal',
  port: '8080',
  input: '/var/log/app/app.log',
  workdir: '/var/lib/bulwark-shipper',
  errorfile: '/var/log/rsyslog-bulwark-errors.json',
  scl: 'scl.conf',
});

export interface ShipperConfig {
  /** File name under test/shippers/configs/. */
  file: string;
  /** The README's heading for it, and the fence's language. */
  title: string;
  lang: string;
}

/** Every documented log shipper, in README order. */
export const SHIPPER_CONFIGS: readonly ShipperConfig[] = [
  { file: 'fluent-bit.conf', title: '**Fluent Bit** (`es` output)', lang: 'ini' },
  { file: 'vector.yaml', title: '**Vector** (`elasticsearch` sink)', lang: 'yaml' },
  { file: 'filebeat.yml', title: '**Filebeat** (`output.elasticsearch`)', lang: 'yaml' },
  { file: 'logstash.conf', title: '**Logstash** (`elasticsearch` output)', lang: 'ruby' },
  { file: 'rsyslog.conf', title: '**rsyslog** (`omelasticsearch`, bulk mode)', lang: 'sh' },
  { file: 'syslog-ng.conf', title: '**syslog-ng** (`elasticsearch-http()`)', lang: 'sh' },
  { file: 'promtail.yaml', title: "**Promtail** (Loki push; Grafana Alloy's `loki.write` takes the same URL, token and external label)", lang: 'yaml' },
];

/** The file as stored, placeholders `{{name}}` unfilled. */
export function configTemplate(file: string): string {
  return readFileSync(`${dir}${file}`, 'utf8');
}

/** The file with every placeholder filled; a placeholder without a value is an error, never left in. */
export function renderConfig(file: string, values: Record<string, string>): string {
  return configTemplate(file).replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${file}: no value for {{${name}}}`);
    return value;
  });
}

/** The README's rendering of a config. */
export function readmeConfig(file: string): string {
  return renderConfig(file, { ...README_VALUES });
}

/** A single `key: value` / `key value` / `key => value` setting of a config, for tests that build its request. */
export function configSetting(file: string, key: string): string {
  const m = new RegExp(`^\\s*${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*(?::|=>|=|\\s)\\s*"?([^"\\n]+?)"?\\s*$`, 'm').exec(configTemplate(file));
  if (!m) throw new Error(`${file}: no setting ${key}`);
  return m[1]!;
}

const BEGIN = (file: string) => `<!-- shipper-config:${file} (generated from test/shippers/configs/${file}) -->`;
const END = '<!-- /shipper-config -->';

/** The README block for one config, markers included. */
export function readmeBlock(config: ShipperConfig): string {
  return `${BEGIN(config.file)}\n${config.title}:\n\`\`\`${config.lang}\n${readmeConfig(config.file).trimEnd()}\n\`\`\`\n${END}`;
}

/** The README's current block for a config (markers included), or undefined when it has none. */
export function currentBlock(readme: string, file: string): string | undefined {
  const start = readme.indexOf(BEGIN(file));
  if (start < 0) return undefined;
  const end = readme.indexOf(END, start);
  return end < 0 ? undefined : readme.slice(start, end + END.length);
}
