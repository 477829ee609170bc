import { pino, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Structured JSON logs on stderr, so stdout stays for results (tables, JSON). */
export function createLogger(level: LogLevel): Logger {
  // Synchronous writes: a line logged before a crash (an acknowledged update, a committed version) is on stderr.
  return pino(
    { level, base: { app: 'emodistill' }, redact: ['*.authorization', '*.token', '*.secretKey'] },
    pino.destination({ dest: 2, sync: true }),
  );
}
