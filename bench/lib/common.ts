/**
 * Shared helpers of the system benchmarks (issue 5, scenarios 2–6): flags, machine description, stats,
 * free ports, result files and the README tables. Nothing here measures anything by itself.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TMP = path.join(ROOT, 'bench', '.tmp');
export const README_FILE = path.join(ROOT, 'bench', 'README.md');

export const QUICK = process.argv.includes('--quick');
/** `--cpu-prof`: profile the gateway process during the measured phases (bench/.tmp/profiles/). */
export const CPU_PROF = process.argv.includes('--cpu-prof');

/** `--name=value` from the command line, or undefined. */
export function arg(name: string): string | undefined {
  const prefix = `--${name}=`;
  const hit = process.argv.find((a) => a.startsWith(prefix));
  return hit === undefined ? undefined : hit.slice(prefix.length);
}

export interface Machine {
  cpuModel: string;
  cores: number;
  totalMemGiB: number;
  node: string;
  platform: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

export function loadAverage(): number[] {
  return os.loadavg().map((l) => Math.round(l * 100) / 100);
}

// ---------------------------------------------------------------------------------------------------
// Time and statistics

export const nowNs = (): bigint => process.hrtime.bigint();
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile (p in 0..100) of unsorted numbers; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

export const round = (n: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

export function fmtMs(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return Math.abs(n) >= 100 ? `${Math.round(n)} ms` : `${n.toFixed(1)} ms`;
}

export function fmtRatio(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : '–';
}

// ---------------------------------------------------------------------------------------------------
// Ports

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Results and README

/**
 * Full runs write bench/results/<name>.json; `--quick` runs write bench/.tmp/<name>.quick.json; runs whose
 * measured phases ran under the profiler (`scratch`) write bench/.tmp/<name>.cpu-prof.json.
 */
export function writeResults(name: string, result: object, scratch = false): string {
  const file = QUICK
    ? path.join(TMP, `${name}.quick.json`)
    : scratch
      ? path.join(TMP, `${name}.cpu-prof.json`)
      : path.join(ROOT, 'bench', 'results', `${name}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(result, null, 1) + '\n');
  return path.relative(ROOT, file);
}

/**
 * Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` in bench/README.md (other
 * sections are maintained by others: read, replace, write at once). Appends the markers under `heading`
 * when they are missing. Quick runs never touch the README.
 */
export async function updateReadme(
  name: string,
  heading: string,
  body: string,
  scratch = false,
): Promise<void> {
  if (QUICK || scratch) return;
  // Formatted as `npm run format` would (the tables are padded), so that format:check stays clean.
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(README_FILE)) ?? {};
  const formatted = (await prettier.format(body.trim() + '\n', { ...options, parser: 'markdown' })).trim();
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  let text = fs.existsSync(README_FILE) ? fs.readFileSync(README_FILE, 'utf8') : '# Benchmarks\n';
  if (!text.includes(start) || !text.includes(end))
    text = `${text.trimEnd()}\n\n## ${heading}\n\n${start}\n${end}\n`;
  const before = text.slice(0, text.indexOf(start) + start.length);
  const after = text.slice(text.indexOf(end));
  fs.writeFileSync(README_FILE, `${before}\n\n${formatted}\n\n${after}`);
}

/** The first line of a results table: where and when it was measured. */
export function measuredLine(m: Machine, startedAt: string, durationS: number, command: string): string {
  return (
    `Measured ${startedAt.slice(0, 16).replace('T', ' ')} UTC on ${m.cpuModel} (${m.cores} cores, ${m.totalMemGiB} GiB), ` +
    `Node ${m.node}, ${m.platform}; ${Math.round(durationS)} s; \`${command}\`.`
  );
}

/** The version of an installed package (its package.json, read from node_modules). */
export function packageVersion(name: string): string {
  try {
    return (
      JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return 'unknown';
  }
}

export function log(scenario: string, message: string): void {
  console.log(`[${scenario} ${new Date().toISOString().slice(11, 19)}] ${message}`);
}
