import { CommanderError } from 'commander';
import { describeError } from './errors';
import { buildProgram } from './program';
import type { Io } from './prompt';
import { Runtime } from './runtime';
import type { Env } from './config';

/** Runs one command line; answers the exit code (never throws). */
export async function run(argv: string[], io: Io, env: Env): Promise<number> {
  const rt = new Runtime(io, env);
  const program = buildProgram(rt);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return rt.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with 0; any other is a usage error, already printed by commander
      return err.exitCode === 0 ? 0 : 2;
    }
    io.stderr.write(`gatehouse: ${describeError(err, rt.url)}\n`);
    const code = (err as { exitCode?: unknown }).exitCode;
    return typeof code === 'number' && code > 0 ? code : 1;
  } finally {
    rt.stdinLines.close();
  }
}

/** The process entry point (bin/gatehouse.js). */
export function cli(): void {
  void run(process.argv.slice(2), process, process.env).then((code) => {
    // a finished command does not wait for idle keep-alive sockets
    process.stdout.write('', () => process.exit(code));
  });
}
