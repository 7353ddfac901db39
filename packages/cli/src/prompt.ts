import { createInterface, type Interface } from 'node:readline';
import { CliError } from './errors';

/** The standard streams the commands use (process's in main.ts; tests may pass others). */
export interface Io {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Lines of a piped stdin, read as they are asked for (`--password-stdin`, a second password). */
export class StdinLines {
  private rl: Interface | undefined;
  private iterator: AsyncIterator<string> | undefined;

  constructor(private readonly io: Io) {}

  /** The next line (without its end of line); a CliError when stdin has ended. */
  async next(what: string): Promise<string> {
    if (!this.rl) {
      this.rl = createInterface({ input: this.io.stdin, crlfDelay: Infinity, terminal: false });
      this.iterator = this.rl[Symbol.asyncIterator]();
    }
    const result: IteratorResult<string, unknown> = await this.iterator!.next();
    if (result.done === true) throw new CliError(`no ${what} on stdin`);
    return result.value;
  }

  close(): void {
    this.rl?.close();
    this.rl = undefined;
  }
}

export const isInteractive = (io: Io): boolean => io.stdin.isTTY === true && io.stderr.isTTY === true;

/** Asks on the terminal without echo (a password, an MFA code); the question goes to stderr. */
export function promptHidden(io: Io, question: string): Promise<string> {
  if (!isInteractive(io) || !io.stdin.setRawMode)
    throw new CliError(`${question.replace(/:\s*$/, '')}: no terminal to ask on (use --password-stdin)`);
  const stdin = io.stdin;
  io.stderr.write(question);
  stdin.setRawMode!(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err?: Error) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode!(false);
      stdin.pause();
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CliError('interrupted', 130));
        if (ch === '\u0004' && value === '') return done(new CliError('interrupted', 130));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Asks a visible question on the terminal (a username). */
export async function promptLine(io: Io, question: string): Promise<string> {
  if (!isInteractive(io)) throw new CliError(`${question.replace(/:\s*$/, '')}: no terminal to ask on`);
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
  }
}

/**
 * Yes unless the operator says otherwise: `--yes` answers for them; without a terminal to ask on the
 * answer is no and the command refuses (a script must say --yes).
 */
export async function confirm(io: Io, question: string, yes: boolean | undefined): Promise<void> {
  if (yes === true) return;
  if (!isInteractive(io)) throw new CliError(`${question} — no terminal to confirm on: pass --yes`);
  const answer = await promptLine(io, `${question} [y/N] `);
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('cancelled');
}
