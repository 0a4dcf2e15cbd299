/** The process's logger: one per root, configured once (level, redaction of credentials). */
import { pino, type Logger } from 'pino';
import type { Config } from '@bulwark/config';

export function createLogger(config: Config): Logger {
  return pino({
    level: config.log.level,
    base: { service: 'bulwark' },
    // Credentials must never reach a log line.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.api_key', '*.token', '*.secret'], censor: '[redacted]' },
  });
}
