/**
 * Child processes of a benchmark: the apps under test (from dist/), brokers, and load generators
 * (TypeScript workers forked through bench/run-ts.js). Every child is registered and stopped when the
 * benchmark ends, fails or is interrupted.
 */
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type Machine, QUICK, ROOT, TMP, freePort, loadAverage, log, machine, nowNs } from './common';

const children = new Set<ChildProcess>();

function register(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills every child still running (SIGKILL): used on failure and interruption. */
function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

process.once('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAll();
    process.exit(130);
  });
}

/** Stops a child: `signal` (SIGTERM), then SIGKILL after `graceMs`. */
export async function stop(
  child: ChildProcess | undefined,
  graceMs = 5_000,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Compiles apps/ and libs/ to dist/ (`npm run build`: swc, about a second). */
export function build(): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.js')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
}

export interface Spawned {
  child: ChildProcess;
  /** Everything the child printed so far (stdout and stderr), for error messages. */
  output(): string;
  /** Resolves with the first match of `re` in the output (past or future); rejects on exit or timeout. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  nodeArgs?: string[];
  /** Adds an IPC channel and preloads bench/lib/workers/cpu-profiler.cjs (profiling, memory). */
  inspectable?: boolean;
  label: string;
  /** Echo the child's output lines (prefixed) to our stdout. */
  echo?: boolean;
  /** Working directory (default: this checkout). A baseline checkout for before/after runs. */
  cwd?: string;
}

function track(child: ChildProcess, label: string, echo: boolean): Spawned {
  let out = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onData = (d: Buffer): void => {
    const s = d.toString();
    out += s;
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
    if (echo) for (const line of s.split('\n')) if (line.trim()) console.log(`  [${label}] ${line}`);
    for (const w of waiters.splice(0)) {
      const m = out.match(w.re);
      if (m) w.resolve(m);
      else waiters.push(w);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    child,
    output: () => out,
    waitFor(re, timeoutMs = 60_000) {
      const m = out.match(re);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`${label}: no ${String(re)} within ${timeoutMs} ms; output:\n${out.slice(-4000)}`),
            ),
          timeoutMs,
        );
        const onExit = (code: number | null, sig: string | null): void => {
          clearTimeout(timer);
          reject(
            new Error(`${label} exited (${sig ?? code}) before ${String(re)}; output:\n${out.slice(-4000)}`),
          );
        };
        child.once('exit', onExit);
        waiters.push({
          re,
          resolve: (m) => {
            clearTimeout(timer);
            child.off('exit', onExit);
            resolve(m);
          },
        });
      });
    },
  };
}

/** Preloaded into a child the benchmark profiles or inspects (`-r`). */
const PROFILER_PRELOAD = path.join(ROOT, 'bench', 'lib', 'workers', 'cpu-profiler.cjs');

/** Runs a JavaScript entry point (e.g. dist/apps/…/main.js) with plain node. */
export function spawnNode(entry: string, opts: SpawnOptions): Spawned {
  const nodeArgs = [...(opts.nodeArgs ?? []), ...(opts.inspectable ? ['-r', PROFILER_PRELOAD] : [])];
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: opts.inspectable ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  return track(register(child), opts.label, opts.echo ?? false);
}

/** Runs any executable (mosquitto). */
export function spawnExe(file: string, args: string[], opts: SpawnOptions): Spawned {
  const child = spawn(file, args, {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(register(child), opts.label, opts.echo ?? false);
}

/** Forks a TypeScript worker through bench/run-ts.js, with an IPC channel. */
export function forkTs(
  file: string,
  args: string[] = [],
  opts: { label: string; nodeArgs?: string[]; echo?: boolean; env?: Record<string, string> },
): Spawned {
  const child = fork(path.join(ROOT, 'bench', 'run-ts.js'), [file, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    execArgv: opts.nodeArgs ?? [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  return track(register(child), opts.label, opts.echo ?? true);
}

/** Sends `msg` over IPC and resolves with the first answer accepted by `accept`. */
export function request<T>(
  child: ChildProcess,
  msg: object,
  accept: (m: unknown) => m is T,
  timeoutMs = 120_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no answer to ${JSON.stringify(msg).slice(0, 200)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: unknown): void => {
      if ((m as { bench?: string })?.bench === 'error' || (m as { type?: string })?.type === 'error') {
        clearTimeout(timer);
        child.off('message', onMessage);
        reject(new Error(`child error: ${JSON.stringify(m)}`));
      } else if (accept(m)) {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m);
      }
    };
    child.on('message', onMessage);
    child.send(msg);
  });
}

/**
 * The baseline broker: bare aedes (bench/lib/workers/bare-aedes.ts, no hooks, accepts anyone) in its own
 * process on a free loopback port, inspectable (profiles, memory).
 * @param backlog - its listen backlog (Node's default when absent)
 */
export async function startBareAedes(
  opts: { backlog?: number; nodeArgs?: string[] } = {},
): Promise<{ url: string; proc: Spawned }> {
  const port = await freePort();
  const args = [String(port), ...(opts.backlog === undefined ? [] : [String(opts.backlog)])];
  const proc = forkTs(path.join(ROOT, 'bench', 'lib', 'workers', 'bare-aedes.ts'), args, {
    label: 'aedes',
    echo: false,
    nodeArgs: [...(opts.nodeArgs ?? []), '-r', PROFILER_PRELOAD],
  });
  await proc.waitFor(/listening on mqtt/, 30_000);
  return { url: `mqtt://127.0.0.1:${port}`, proc };
}

// ---------------------------------------------------------------------------------------------------
// Profiling and memory of an inspectable child (see workers/cpu-profiler.cjs)

export const PROFILE_DIR = path.join(TMP, 'profiles');

export async function profileStart(child: ChildProcess): Promise<void> {
  await request(
    child,
    { bench: 'profile-start' },
    (m): m is object => (m as { bench?: string })?.bench === 'profile-started',
  );
}

export async function profileStop(child: ChildProcess, name: string): Promise<string> {
  fs.mkdirSync(PROFILE_DIR, { recursive: true });
  const file = path.join(PROFILE_DIR, `${name}.cpuprofile`);
  await request(
    child,
    { bench: 'profile-stop', file },
    (m): m is object => (m as { bench?: string })?.bench === 'profile-written',
  );
  return file;
}

export async function memoryOf(child: ChildProcess, gc: boolean): Promise<NodeJS.MemoryUsage> {
  const m = await request(
    child,
    { bench: 'memory', gc },
    (x): x is { usage: NodeJS.MemoryUsage } => (x as { bench?: string })?.bench === 'memory',
  );
  return m.usage;
}

/** Resident set size of a process, from /proc (bytes), or NaN. */
export function rssOf(pid: number | undefined): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** What every scenario records about its start. */
export interface RunStart {
  startedAt: string;
  t0: bigint;
  m: Machine;
  loadBefore: number[];
}

/**
 * Starts a scenario: notes the time, the machine and its load, logs one line (`describe` replaces the
 * default description) and builds dist/.
 */
export function beginRun(name: string, describe?: (m: Machine) => string): RunStart {
  const startedAt = new Date().toISOString();
  const t0 = nowNs();
  const m = machine();
  const loadBefore = loadAverage();
  log(
    name,
    describe?.(m) ??
      `${QUICK ? 'quick run' : 'full run'} on ${m.cpuModel}, ${m.cores} cores, Node ${m.node}; load ${loadBefore.join(' ')}`,
  );
  build();
  return { startedAt, t0, m, loadBefore };
}
