/** Summarises a V8 .cpuprofile: self time by function and by origin (package, app, Node internals, GC). */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './common';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  selfPct: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  busyPct: number;
  byOrigin: ProfileEntry[];
  byFunction: ProfileEntry[];
  /** Total (self + callees) time of the app's own functions (apps/, libs/), % of busy time. */
  appInclusive: ProfileEntry[];
}

function origin(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node internals';
  const rel = path.relative(ROOT, url.replace(/^file:\/\//, ''));
  const m = /^(?:dist\/)?(apps\/[^/]+|libs\/[^/]+)/.exec(rel);
  return m ? m[1] : rel;
}

/** Self time per function and per origin; `(idle)` is excluded from the percentages' base ("busy"). */
export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0;
    selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + dt);
  }
  const fnTotals = new Map<string, number>();
  const originTotals = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    total += us;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const o = origin(url, functionName);
    const short = url ? `${o}:${path.basename(url)}:${lineNumber + 1}` : o;
    const key = `${functionName || '(anonymous)'} ${short}`;
    fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
    originTotals.set(o, (originTotals.get(o) ?? 0) + us);
  }
  const busy = Math.max(1, total - idle);
  // Inclusive time of apps/ and libs/ functions (a function nested in itself would count twice: rare here).
  const inclusive = new Map<number, number>();
  const incl = (id: number): number => {
    const known = inclusive.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id);
    let t = selfUs.get(id) ?? 0;
    for (const c of n?.children ?? []) t += incl(c);
    inclusive.set(id, t);
    return t;
  };
  const appTotals = new Map<string, number>();
  for (const n of p.nodes) {
    const { functionName, url, lineNumber } = n.callFrame;
    const o = origin(url, functionName);
    if (!o.startsWith('apps/') && !o.startsWith('libs/')) continue;
    const key = `${functionName || '(anonymous)'} ${o}:${path.basename(url)}:${lineNumber + 1}`;
    appTotals.set(key, (appTotals.get(key) ?? 0) + incl(n.id));
  }
  const entries = (m: Map<string, number>): ProfileEntry[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        selfMs: Math.round(us / 100) / 10,
        selfPct: Math.round((us / busy) * 1000) / 10,
      }));
  return {
    file: path.relative(ROOT, file),
    totalMs: Math.round(total / 1000),
    busyPct: Math.round((busy / Math.max(1, total)) * 1000) / 10,
    byOrigin: entries(originTotals),
    byFunction: entries(fnTotals),
    appInclusive: entries(appTotals),
  };
}

export function printProfile(s: ProfileSummary, lines = 12): void {
  console.log(
    `  profile ${s.file}: ${s.totalMs} ms sampled, ${s.busyPct} % busy (percentages below are of busy time)`,
  );
  console.log(
    '  by origin: ' +
      s.byOrigin
        .slice(0, 8)
        .map((e) => `${e.name} ${e.selfPct}%`)
        .join(', '),
  );
  for (const e of s.byFunction.slice(0, lines))
    console.log(`    ${String(e.selfPct).padStart(5)} %  ${e.name}`);
  console.log(
    '  app functions, inclusive: ' +
      s.appInclusive
        .slice(0, 8)
        .map((e) => `${e.name} ${e.selfPct}%`)
        .join(', '),
  );
}
