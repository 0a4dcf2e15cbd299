/**
 * The process's logger: one per root, configured once (level, format, redaction of credentials). Every service logs
 * through the logger its root hands it, so these settings hold for every line a process writes.
 *
 * Format: `json` (one object a line: what log shippers and Bulwark's own ingest read), `pretty` (pino-pretty, for a
 * person at a terminal), or `auto`, pretty exactly when stdout is a terminal. Redaction happens inside pino before a
 * line is serialized, so both formats print `[redacted]` in place of a credential.
 */
import { isMainThread } from 'node:worker_threads';
import { pino, type Logger, type LoggerOptions } from 'pino';
import PinoPretty from 'pino-pretty';
import type { Config } from '@bulwark/config';

export type LogFormat = Config['log']['format'];

/**
 * Where a credential may sit in what Bulwark logs: request headers (a failed request's log line), an error's details,
 * settings objects. The censor replaces the value and keeps the key, so a reader sees that one was there.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.token',
  // A top-level `token` is a token's id (audit lines name which token acted); a nested one may be a secret.
  ...['authorization', 'password', 'api_key', 'secret', 'bootstrap_token'].flatMap((key) => [key, `*.${key}`]),
];

/**
 * `auto` decided once for the process: pretty when stdout is a terminal. A worker thread's stdout is a pipe to the
 * main thread, never a terminal, so a root that starts a thread hands it the main thread's decision (this function's
 * answer), not `auto`.
 */
export function resolveLogFormat(format: LogFormat): 'json' | 'pretty' {
  if (format !== 'auto') return format;
  return isMainThread && process.stdout.isTTY === true ? 'pretty' : 'json';
}

/** `destination`: where lines go instead of stdout (tests read what each format writes). */
export function createLogger(config: Config, destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level: config.log.level,
    base: { service: 'bulwark' },
    // Credentials must never reach a log line (docs/ARCHITECTURE.md, "Bulwark's own secrets").
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (resolveLogFormat(config.log.format) === 'json') return destination ? pino(options, destination) : pino(options);
  // In process and synchronous: a transport thread would lose the last lines of a process that exits right after a
  // fatal error, and a terminal is never the bottleneck a buffered stream is there to hide.
  return pino(options, PinoPretty({ colorize: process.stdout.isTTY === true, sync: true, destination: destination ?? 1, ignore: 'pid,hostname,service' }));
}
