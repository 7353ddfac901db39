import { ConsoleLogger, type LogLevel } from '@nestjs/common';

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

/** Nest's start-up chatter, shown only at `debug` and below. */
const STARTUP_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
  'NestMicroservice',
]);

/**
 * The structured (JSON lines) logger both apps use, honouring `LOG_LEVEL` (SPEC 6, 7). User-controlled
 * strings end up JSON-escaped inside the line, so they can never break it.
 */
export function createAppLogger(app: string, level: string): ConsoleLogger {
  const verbose = level === 'debug' || level === 'trace';
  class AppLogger extends ConsoleLogger {
    override log(message: unknown, ...rest: unknown[]): void {
      const context = rest[rest.length - 1];
      if (!verbose && typeof context === 'string' && STARTUP_CONTEXTS.has(context)) return;
      super.log(message, ...rest);
    }
  }
  return new AppLogger(app, { json: true, logLevels: nestLogLevels(level) });
}
