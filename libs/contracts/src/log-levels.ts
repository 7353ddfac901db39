import type { LogLevel } from '@nestjs/common';

/** The values of `LOG_LEVEL` (SPEC 7), pino's names. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevelName {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Nest logger levels for a pino-style `LOG_LEVEL`. */
export function nestLogLevels(level: string): LogLevel[] {
  switch (level) {
    case 'silent':
      return [];
    case 'fatal':
      return ['fatal'];
    case 'error':
      return ['fatal', 'error'];
    case 'warn':
      return ['fatal', 'error', 'warn'];
    case 'debug':
      return ['fatal', 'error', 'warn', 'log', 'debug'];
    case 'trace':
      return ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
    default:
      return ['fatal', 'error', 'warn', 'log'];
  }
}
