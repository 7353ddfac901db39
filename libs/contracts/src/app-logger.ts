import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import pino from 'pino';
import { isLogLevel, type LogLevelName } from './log-levels';

/** Nest's start-up chatter, shown only at `debug` and below. */
const STARTUP_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
  'NestMicroservice',
]);

type PinoMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Fields of a log line beside its message: `logger.warn('PUBLISH denied …', new LogFields({ connectionId }))`
 * writes them as top-level JSON keys of the line (pino escapes their values like the message). The
 * message stays a string for every other logger (Nest's console logger prints the fields after it).
 */
export class LogFields {
  constructor(readonly fields: Readonly<Record<string, unknown>>) {}
}

/**
 * Fields added to every log line written inside `logContext.run(fields, …)`: admin-api runs each HTTP
 * request in one holding its `requestId`, so every line of that request carries it.
 */
export const logContext = new AsyncLocalStorage<Readonly<Record<string, string>>>();

/**
 * The JSON-lines logger of both apps (SPEC 6, 7): a Nest `LoggerService` backed by pino. One line
 * per entry: `{"level":"info","time":"…","app":"admin-api","pid":…,"context":"Http","msg":"…"}`.
 * Every value is serialised by pino (JSON-escaped), so user-controlled strings (usernames, client
 * ids, topics) can hold newlines, quotes or control characters without breaking the line or forging
 * another one. `LOG_LEVEL` is pino's level; Nest's `log` is `info`, `verbose` is `trace`.
 */
export class PinoLogger implements LoggerService {
  private readonly showStartup: boolean;

  constructor(readonly pino: pino.Logger) {
    this.showStartup = pino.isLevelEnabled('debug');
  }

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (!this.showStartup && typeof context === 'string' && STARTUP_CONTEXTS.has(context)) return;
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest, true);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest, true);
  }

  /**
   * Nest calls `(message, ...params, context?)`; for errors the params may be a stack. The context
   * is the last string parameter (as Nest's ConsoleLogger reads it).
   */
  private write(level: PinoMethod, message: unknown, rest: unknown[], mayHaveStack = false): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    const params: unknown[] = [];
    for (const p of rest) {
      if (p instanceof LogFields) Object.assign(fields, p.fields);
      else params.push(p);
    }
    if (params.length > 0 && typeof params[params.length - 1] === 'string') {
      const last = params.pop() as string;
      // `error(message, stack)` with no context: a stack is multi-line and starts with the error.
      if (mayHaveStack && params.length === 0 && last.includes('\n    at ')) fields.stack = last;
      else fields.context = last;
    }
    if (mayHaveStack && typeof params[0] === 'string' && params[0].includes('\n'))
      fields.stack = params.shift();
    if (params.length > 0) fields.params = params;
    if (message instanceof Error) {
      fields.err = message;
      this.pino[level](fields, message.message);
    } else if (typeof message === 'string') {
      this.pino[level](fields, message);
    } else {
      fields.data = message;
      this.pino[level](fields);
    }
  }
}

/**
 * JSON allows U+2028 and U+2029 unescaped inside strings, but some viewers break lines there; they
 * can only occur inside strings of a serialised entry, so escaping them keeps the value intact.
 */
function lineSafe(dest: pino.DestinationStream): pino.DestinationStream {
  return {
    write(line: string) {
      dest.write(
        /[\u2028\u2029]/.test(line) ? line.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029') : line,
      );
    },
  };
}

/**
 * The structured (JSON lines) logger both apps use, honouring `LOG_LEVEL` (SPEC 6, 7). Writes to
 * stdout synchronously (the start-up failure path exits right after logging), or to `destination`.
 */
export function createAppLogger(
  app: string,
  level: string,
  destination?: pino.DestinationStream,
): PinoLogger {
  const name: LogLevelName = isLogLevel(level) ? level : 'info';
  const logger = pino(
    {
      level: name,
      base: { app, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => logContext.getStore() ?? {},
    },
    lineSafe(destination ?? pino.destination({ dest: 1, sync: true })),
  );
  return new PinoLogger(logger);
}
