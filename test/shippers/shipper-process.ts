/**
 * The shipper programs as real processes: rsyslogd and syslog-ng in the foreground with private configs, state and pid
 * files (never the system's daemon or /etc), and the client programs. Where test/shippers/run.sh installed each one is
 * passed in the environment; a test run without it fails saying how to get it rather than skipping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderConfig } from './configs.js';
import { until } from '../support/until.js';

/** A path run.sh exported, or an error naming the way to get it. */
export function installed(variable: string): string {
  const value = process.env[variable];
  if (!value) throw new Error(`${variable} is not set: run the shipper suite with \`npm run test:shippers\` (test/shippers/run.sh installs the shippers and sets it)`);
  return value;
}

export interface ShipperProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM (what an init system sends: the daemon saves its queue), then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export function startProcess(command: string, args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): ShipperProcess {
  const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  child.stdin!.end(options.stdin ?? '');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A scratch directory for one shipper: its input file, state, queue and error files. */
export interface ShipperDir {
  dir: string;
  input: string;
  workdir: string;
  /** Appends lines to the input file (what the application writes; the shipper tails it). */
  write(lines: string[]): void;
  remove(): void;
}

export function shipperDir(name: string): ShipperDir {
  const dir = mkdtempSync(join(tmpdir(), `bwk-${name}-`));
  const workdir = join(dir, 'work');
  mkdirSync(workdir);
  const input = join(dir, 'app.log');
  writeFileSync(input, '');
  return {
    dir,
    input,
    workdir,
    write: (lines) => appendFileSync(input, lines.map((l) => `${l}\n`).join('')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** rsyslogd (Debian's, with its omelasticsearch module) in the foreground on the README's config. */
export function startRsyslog(d: ShipperDir, target: { port: number }, token: string): ShipperProcess {
  const conf = join(d.dir, 'rsyslog.conf');
  writeFileSync(conf, renderConfig('rsyslog.conf', { host: '127.0.0.1', port: String(target.port), input: d.input, workdir: d.workdir, errorfile: join(d.dir, 'errors.json') }));
  // -n: foreground; -i: our own pid file, so a daemon the machine runs is never disturbed. The token reaches the
  // config through the environment, as the README's `echo $BULWARK_TOKEN` expects.
  return startProcess(installed('SHIPPERS_RSYSLOGD'), ['-n', '-f', conf, '-i', join(d.dir, 'rsyslogd.pid')], { env: { BULWARK_TOKEN: token } });
}

/** syslog-ng unpacked under test/.cache (it conflicts with rsyslog as a package), in the foreground on the README's config. */
export function startSyslogNg(d: ShipperDir, target: { port: number }, token: string): ShipperProcess {
  const root = installed('SHIPPERS_SYSLOG_NG_ROOT');
  const conf = join(d.dir, 'syslog-ng.conf');
  const scl = join(root, 'usr/share/syslog-ng/include/scl/elasticsearch/elastic-http.conf');
  writeFileSync(conf, renderConfig('syslog-ng.conf', { host: '127.0.0.1', port: String(target.port), input: d.input, workdir: d.workdir, scl }));
  const args = [
    `--module-path=${join(root, 'usr/lib/syslog-ng/3.38')}`,
    ...['-f', conf, '-R', join(d.workdir, 'syslog-ng.persist'), '-p', join(d.dir, 'syslog-ng.pid'), '-c', join(d.dir, 'syslog-ng.ctl')],
    '--no-caps',
    '-F',
    '-e',
  ];
  return startProcess(join(root, 'usr/sbin/syslog-ng'), args, { env: { BULWARK_TOKEN: token, LD_LIBRARY_PATH: join(root, 'usr/lib/syslog-ng') } });
}

/** A client program's "accepted <n>" lines so far. */
export function acceptedLines(p: ShipperProcess): Set<number> {
  return new Set([...p.output().matchAll(/^accepted (\d+)$/gm)].map((m) => Number(m[1])));
}

/** Waits for a client program to print "done", and returns its exit code. */
export async function finished(p: ShipperProcess, ms = 120_000): Promise<void> {
  await until(`the shipper program finished (output: ${p.output().slice(-400)})`, async () => /^done \d+$/m.test(p.output()), ms, 200);
  await p.exited;
}
