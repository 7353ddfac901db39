/**
 * Authorization decision benchmark (issue 5, scenario 1), in-process.
 *
 * For one principal holding 10, 100, 1,000 and 10,000 permissions (a seeded, realistic mix of literal
 * topics, `+`, `#` and placeholders), measures publish checks (SPEC 1.4.2, match) and subscribe checks
 * (SPEC 1.4.3, cover), hit and miss, through:
 * - `compiled`: `CompiledPermissions.canPublish` / `canSubscribe` (the hot path of the broker gateway, and
 *   of the HTTP guard with `canHttpAccess`; ADR 0013 removed the CASL layer the guard used to have);
 * - `compiled-100-deny`: the same principal with 100 deny rules added (issue 11, SPEC 1.4.6): denies on
 *   machines next to the ones it holds (`plant/p07/line/l12/machine/dz0042/#`, some with `+`), which share
 *   the allows' leading levels but block none of the requests, so every check also walks the deny trie
 *   and the decisions stay those of `compiled`; the goal is within 10 % of `compiled`;
 * - `naive-casl`: CASL `ability.can()` over one CASL rule per permission, whose `conditionsMatcher`
 *   calls `matches()` / `covers()`: a linear scan, the baseline.
 *
 * Per-check latency is a batch mean: each sample times a batch of consecutive checks over a pool of
 * 1,024 distinct requests with `process.hrtime.bigint()` and divides by the batch size; p50/p99 are
 * percentiles of those batch means (see bench/README.md for what that does and does not show).
 *
 *   npm run bench:authz              full run (≈ 3 min), writes bench/results/authz.json and the README table
 *   npm run bench:authz -- --quick   smoke run (< 1 min), writes bench/.tmp/authz.quick.json only
 *   … -- --cpu-prof                   also profiles the compiled publish and subscribe hits at 1,000 and
 *                                     10,000 permissions (extra, uncounted runs; V8 sampling profiler via the
 *                                     inspector): bench/.tmp/profiles/authz-*.cpuprofile, summaries in
 *                                     bench/.tmp/authz.cpu-prof.json; the README is left alone
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { Ability, subject, type ForcedSubject, type MatchConditions } from '@casl/ability';
import { CPU_PROF } from '../lib/common';
import { PROFILE_DIR } from '../lib/processes';
import { type ProfileSummary, printProfile, summarizeProfile } from '../lib/profile';
import {
  CompiledPermissions,
  covers,
  matches,
  substitutePlaceholders,
  type PermissionOperation,
  type PermissionRule,
  type PrincipalVars,
} from '@gatehouse/rbac';

// ---------------------------------------------------------------------------------------------------
// Parameters

const QUICK = process.argv.includes('--quick');
const PROFILE_SIZES: readonly number[] = [1_000, 10_000];
const PROFILE_MS = 1_500;
const SIZES = [10, 100, 1_000, 10_000] as const;
const POOL_SIZE = 1024; // distinct requests per (size, check, case); a power of two
const COMPILED_BATCH = 1_000; // checks per sample for the compiled implementations
const NAIVE_TARGET_BATCH_NS = 200_000; // the naive batch size is calibrated to about this much time
const WARMUP_MS = QUICK ? 40 : 300;
const CELL_BUDGET_MS = QUICK ? 150 : 2_000; // sampling time per cell, at most
const MAX_SAMPLES = QUICK ? 300 : 5_000;
const MIN_SAMPLES = QUICK ? 20 : 200;
const SEED = 0x6a7e;
const VARS: PrincipalVars = { username: 'press-07', clientId: 'press-07-a' };
const GOAL_P99_NS_AT_10K = 500;
const GOAL_SPEEDUP_AT_1K = 200;
const DENY_RULES = 100;
const GOAL_DENY_OVERHEAD = 0.1;

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS_FILE = CPU_PROF
  ? path.join(ROOT, 'bench', '.tmp', 'authz.cpu-prof.json')
  : QUICK
    ? path.join(ROOT, 'bench', '.tmp', 'authz.quick.json')
    : path.join(ROOT, 'bench', 'results', 'authz.json');
const README_FILE = path.join(ROOT, 'bench', 'README.md');

type CheckKind = 'publish' | 'subscribe';
type CaseKind = 'hit' | 'miss';
type ImplName = 'compiled' | 'compiled-100-deny' | 'naive-casl' | 'compiled-before';
/**
 * `--before=<git rev>`: the compiled matcher of that revision too (libs/rbac/src extracted with `git
 * archive` into bench/.tmp), interleaved with today's on the same rules without denies: a before/after
 * figure for a principal without deny rules, from one run.
 */
const BEFORE_REV = process.argv.find((a) => a.startsWith('--before='))?.slice('--before='.length);
const IMPLS: readonly ImplName[] = [
  'compiled',
  'compiled-100-deny',
  'naive-casl',
  ...(BEFORE_REV ? (['compiled-before'] as const) : []),
];
const BEFORE_AFTER_FILE = path.join(ROOT, 'bench', 'results', 'authz-before-after.json');
const CHECKS: readonly CheckKind[] = ['publish', 'subscribe'];
const CASES: readonly CaseKind[] = ['hit', 'miss'];

// ---------------------------------------------------------------------------------------------------
// Deterministic data

/** mulberry32: small, seeded, good enough to pick ids. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const METRICS = ['temperature', 'pressure', 'vibration', 'power', 'status', 'alarms'];
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * A realistic mix for one machine-ish principal: mostly literal topics, a fair share of `+` and `#`,
 * some placeholders. Ids spread wide enough that 10,000 rules are nearly all distinct.
 */
function generateRules(n: number, random: () => number): PermissionRule[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const id = (prefix: string, max: number, width: number): string =>
    prefix + pad(Math.floor(random() * max), width);
  const operation = (): PermissionOperation => {
    const r = random();
    return r < 0.4 ? 'read' : r < 0.7 ? 'write' : 'readWrite';
  };
  const rules: PermissionRule[] = [];
  for (let i = 0; i < n; i++) {
    const p = id('p', 20, 2);
    const l = id('l', 30, 2);
    const m = id('m', 200, 4);
    const r = random();
    let resource: string;
    if (r < 0.4) resource = `plant/${p}/line/${l}/machine/${m}/${pick(METRICS)}`;
    else if (r < 0.55) resource = `plant/${p}/line/${l}/machine/+/${pick(METRICS)}`;
    else if (r < 0.65) resource = `plant/${p}/line/+/machine/${m}/+`;
    else if (r < 0.72) resource = `plant/${p}/line/${l}/machine/${m}/#`;
    else if (r < 0.8) resource = `plant/${p}/line/${l}/#`;
    else if (r < 0.85) resource = `tenants/${id('t', 50, 2)}/devices/\${username}/${pick(METRICS)}`;
    else if (r < 0.9) resource = `clients/\${clientId}/cmd/${m}`;
    else resource = `fleet/+/${p}/events/${id('e', 100, 3)}/+`;
    rules.push({ context: 'mqtt', resource, operation: operation() });
  }
  return rules;
}

/**
 * {@link DENY_RULES} denies beside the principal's machines: machine ids `dz…`, which no allow and no
 * generated request uses, so they refuse nothing the benchmark asks but share the allows' prefixes.
 */
function generateDenies(random: () => number): PermissionRule[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const id = (prefix: string, max: number, width: number): string =>
    prefix + pad(Math.floor(random() * max), width);
  const denies: PermissionRule[] = [];
  for (let i = 0; i < DENY_RULES; i++) {
    const p = id('p', 20, 2);
    const machine = `dz${pad(i, 4)}`;
    const r = random();
    const resource =
      r < 0.5
        ? `plant/${p}/line/${id('l', 30, 2)}/machine/${machine}/#`
        : r < 0.8
          ? `plant/${p}/line/+/machine/${machine}/${pick(METRICS)}`
          : `plant/${p}/line/${id('l', 30, 2)}/machine/${machine}/+`;
    denies.push({ context: 'mqtt', resource, operation: 'readWrite', effect: 'deny' });
  }
  return denies;
}

const grants = (rule: PermissionRule, access: 'read' | 'write'): boolean =>
  rule.operation === 'readWrite' || rule.operation === access;

/** A topic the (substituted) filter matches: `+` → a fresh id, `#` → 0..3 more levels. */
function instantiate(filter: string, random: () => number): string {
  const out: string[] = [];
  for (const level of filter.split('/')) {
    if (level === '+') out.push('x' + pad(Math.floor(random() * 1000), 3));
    else if (level === '#') {
      const extra = Math.floor(random() * 4);
      for (let k = 0; k < extra; k++) out.push('s' + Math.floor(random() * 10));
    } else out.push(level);
  }
  return out.join('/');
}

/** A filter the (substituted) filter covers: itself, one `+` made literal, `#` pushed down, or a topic. */
function narrow(filter: string, random: () => number): string {
  const levels = filter.split('/');
  const r = random();
  if (r < 0.25) return filter;
  if (r < 0.5) {
    const plus = levels.flatMap((l, i) => (l === '+' ? [i] : []));
    if (plus.length > 0) levels[plus[Math.floor(random() * plus.length)]] = 'x' + Math.floor(random() * 100);
    return levels.join('/');
  }
  if (r < 0.75 && levels[levels.length - 1] === '#') {
    levels.splice(levels.length - 1, 1, 's' + Math.floor(random() * 10), random() < 0.5 ? '#' : '+');
    return levels.join('/');
  }
  return instantiate(filter, random);
}

/** A near miss: one level (not the first) replaced by an id nobody holds. */
function mutateTopic(topic: string, random: () => number): string {
  const levels = topic.split('/');
  const i = 1 + Math.floor(random() * (levels.length - 1));
  levels[i] = 'zz' + Math.floor(random() * 1000);
  return levels.join('/');
}

/** A near miss for subscribe: a literal level widened to `+`, or the filter cut short with `#`. */
function widen(filter: string, random: () => number): string {
  const levels = filter.split('/');
  if (random() < 0.5) {
    const literal = levels.flatMap((l, i) => (i > 0 && l !== '+' && l !== '#' ? [i] : []));
    if (literal.length > 0) {
      levels[literal[Math.floor(random() * literal.length)]] = '+';
      return levels.join('/');
    }
  }
  const cut = 1 + Math.floor(random() * Math.max(1, levels.length - 1));
  return [...levels.slice(0, cut), '#'].join('/');
}

// ---------------------------------------------------------------------------------------------------
// The two implementations

interface Impl {
  publish(topic: string): boolean;
  subscribe(filter: string): boolean;
  /** Requests prepared once (CASL subjects are tagged objects), so batches measure only the check. */
  prepare(check: CheckKind, request: string): unknown;
  run(check: CheckKind, prepared: unknown): boolean;
}

interface NaiveConditions {
  readonly filter: string;
}
interface TopicRequest {
  readonly topic?: string;
  readonly filter?: string;
}
type NaiveSubject = 'mqtt' | (TopicRequest & ForcedSubject<'mqtt'>);

function compiledImpl(compiled: CompiledPermissions): Impl {
  return {
    publish: (t) => compiled.canPublish(t),
    subscribe: (f) => compiled.canSubscribe(f),
    prepare: (_check, request) => request,
    run: (check, prepared) =>
      check === 'publish'
        ? compiled.canPublish(prepared as string)
        : compiled.canSubscribe(prepared as string),
  };
}

/** The CompiledPermissions of `rev` (see {@link BEFORE_REV}). */
function loadBefore(rev: string): typeof CompiledPermissions {
  if (!/^[\w./^~-]+$/.test(rev)) throw new Error(`--before: not a git revision: ${rev}`);
  const commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--verify', `${rev}^{commit}`], {
    encoding: 'utf8',
  }).trim();
  const dir = path.join(ROOT, 'bench', '.tmp', `rbac-${commit.slice(0, 12)}`);
  const entry = path.join(dir, 'libs', 'rbac', 'src', 'compiled-permissions.ts');
  if (!fs.existsSync(entry)) {
    fs.mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', commit, 'libs/rbac/src']);
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module chosen at run time
  return (require(entry) as { CompiledPermissions: typeof CompiledPermissions }).CompiledPermissions;
}

/**
 * The baseline: one CASL rule per permission (placeholders substituted once, when the ability is
 * built; rules that fail closed dropped), and a conditions matcher that calls `matches()` for a topic
 * and `covers()` for a filter. CASL walks the rules for the action linearly until one matches.
 */
function naiveCaslImpl(rules: readonly PermissionRule[], vars: PrincipalVars): Impl {
  const raw: { action: ('read' | 'write')[]; subject: 'mqtt'; conditions: NaiveConditions }[] = [];
  for (const rule of rules) {
    if (rule.context !== 'mqtt') continue;
    const filter = substitutePlaceholders(rule.resource, vars);
    if (filter === null) continue;
    const action: ('read' | 'write')[] = [];
    if (grants(rule, 'read')) action.push('read');
    if (grants(rule, 'write')) action.push('write');
    raw.push({ action, subject: 'mqtt', conditions: { filter } });
  }
  const conditionsMatcher = (conditions: NaiveConditions): MatchConditions => {
    const match = (object: TopicRequest): boolean =>
      object.filter !== undefined
        ? covers(conditions.filter, object.filter)
        : object.topic !== undefined && matches(conditions.filter, object.topic);
    return match;
  };
  const ability = new Ability<['read' | 'write', NaiveSubject], NaiveConditions>(raw, { conditionsMatcher });
  const prepare = (check: CheckKind, request: string): unknown =>
    check === 'publish' ? subject('mqtt', { topic: request }) : subject('mqtt', { filter: request });
  const run = (check: CheckKind, prepared: unknown): boolean =>
    ability.can(check === 'publish' ? 'write' : 'read', prepared as NaiveSubject);
  return {
    publish: (t) => run('publish', prepare('publish', t)),
    subscribe: (f) => run('subscribe', prepare('subscribe', f)),
    prepare,
    run,
  };
}

// ---------------------------------------------------------------------------------------------------
// Request pools, verified against every implementation

function buildPool(
  check: CheckKind,
  kind: CaseKind,
  rules: readonly PermissionRule[],
  impls: Record<ImplName, Impl>,
  random: () => number,
): string[] {
  const access = check === 'publish' ? 'write' : 'read';
  const sources = rules
    .filter((r) => grants(r, access) && r.effect !== 'deny')
    .map((r) => substitutePlaceholders(r.resource, VARS))
    .filter((f): f is string => f !== null);
  if (sources.length === 0) throw new Error(`no ${access} rule to build ${check} requests from`);
  const reference = impls.compiled;
  const pool: string[] = [];
  let attempts = 0;
  while (pool.length < POOL_SIZE) {
    if (++attempts > POOL_SIZE * 200) throw new Error(`cannot build a ${check}/${kind} pool`);
    const filter = sources[Math.floor(random() * sources.length)];
    let request: string;
    if (check === 'publish')
      request =
        kind === 'hit' ? instantiate(filter, random) : mutateTopic(instantiate(filter, random), random);
    else request = kind === 'hit' ? narrow(filter, random) : widen(filter, random);
    const expected = kind === 'hit';
    const got = check === 'publish' ? reference.publish(request) : reference.subscribe(request);
    if (got !== expected) {
      if (kind === 'hit') throw new Error(`generated hit ${request} from ${filter} is denied`);
      continue; // a would-be miss that some other rule grants: draw again
    }
    for (const name of IMPLS) {
      const impl = impls[name];
      const answer = check === 'publish' ? impl.publish(request) : impl.subscribe(request);
      if (answer !== expected) throw new Error(`${name} disagrees on ${check} ${request}: ${answer}`);
    }
    pool.push(request);
  }
  return pool;
}

// ---------------------------------------------------------------------------------------------------
// Measurement

let sink = 0; // keeps results observable

function runBatch(impl: Impl, check: CheckKind, pool: readonly unknown[], start: number, n: number): number {
  let granted = 0;
  let i = start;
  for (let k = 0; k < n; k++) {
    if (impl.run(check, pool[i])) granted++;
    i = (i + 1) & (POOL_SIZE - 1);
  }
  return granted;
}

interface Cell {
  impl: ImplName;
  check: CheckKind;
  case: CaseKind;
  permissions: number;
  batchSize: number;
  samples: number;
  p50Ns: number;
  p99Ns: number;
  meanNs: number;
  minNs: number;
  maxNs: number;
  decisionsPerSecond: number;
  /** per-check ns of every batch (batch time / batch size), in measurement order, 0.1 ns resolution */
  rawPerCheckNs: number[];
}

function quantile(sorted: readonly number[], q: number): number {
  // nearest rank
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

interface Prepared {
  name: ImplName;
  impl: Impl;
  pool: unknown[];
  batchSize: number;
  offset: number;
  raw: number[];
  totalNs: number;
}

/** Warms `impl` up (JIT) and, for the baseline, calibrates its batch size to ≈ NAIVE_TARGET_BATCH_NS. */
function prepare(name: ImplName, impl: Impl, check: CheckKind, requests: readonly string[]): Prepared {
  const pool = requests.map((r) => impl.prepare(check, r));
  const warmEnd = process.hrtime.bigint() + BigInt(WARMUP_MS) * 1_000_000n;
  let probe = 1;
  let probeNs = 0;
  let offset = 0;
  while (process.hrtime.bigint() < warmEnd) {
    const t0 = process.hrtime.bigint();
    sink += runBatch(impl, check, pool, offset, probe);
    probeNs = Number(process.hrtime.bigint() - t0) / probe;
    offset = (offset + probe) & (POOL_SIZE - 1);
    if (probe < COMPILED_BATCH) probe *= 2;
  }
  const batchSize =
    name === 'naive-casl'
      ? Math.max(1, Math.min(COMPILED_BATCH, Math.round(NAIVE_TARGET_BATCH_NS / Math.max(probeNs, 1))))
      : COMPILED_BATCH;
  return { name, impl, pool, batchSize, offset, raw: [], totalNs: 0 };
}

/**
 * Samples the prepared implementations round-robin, one batch each in turn (a, b, b, a, a, b, …), so that a
 * change of machine speed during the cell (frequency, a neighbour's load) falls on all of them alike:
 * their ratio is what the comparison reads.
 */
function measure(
  check: CheckKind,
  kind: CaseKind,
  permissions: number,
  prepared: readonly Prepared[],
): Cell[] {
  const expectedPerBatch = (n: number): number => (kind === 'hit' ? n : 0);
  const budgetEnd = process.hrtime.bigint() + BigInt(CELL_BUDGET_MS * prepared.length) * 1_000_000n;
  const first = prepared[0];
  while (
    first.raw.length < MAX_SAMPLES &&
    (first.raw.length < MIN_SAMPLES || process.hrtime.bigint() < budgetEnd)
  ) {
    // alternate the order too (a, b, then b, a), so that neither always runs right after the other
    const round = first.raw.length & 1 ? [...prepared].reverse() : prepared;
    for (const p of round) {
      const t0 = process.hrtime.bigint();
      const granted = runBatch(p.impl, check, p.pool, p.offset, p.batchSize);
      const elapsed = Number(process.hrtime.bigint() - t0);
      if (granted !== expectedPerBatch(p.batchSize))
        throw new Error(`${p.name} ${check} ${kind}: wrong decisions`);
      sink += granted;
      p.offset = (p.offset + p.batchSize) & (POOL_SIZE - 1);
      p.totalNs += elapsed;
      p.raw.push(Math.round((elapsed / p.batchSize) * 10) / 10);
    }
  }
  return prepared.map((p) => {
    const sorted = [...p.raw].sort((a, b) => a - b);
    return {
      impl: p.name,
      check,
      case: kind,
      permissions,
      batchSize: p.batchSize,
      samples: p.raw.length,
      p50Ns: quantile(sorted, 0.5),
      p99Ns: quantile(sorted, 0.99),
      meanNs: Math.round((p.totalNs / (p.raw.length * p.batchSize)) * 10) / 10,
      minNs: sorted[0],
      maxNs: sorted[sorted.length - 1],
      decisionsPerSecond: Math.round((p.raw.length * p.batchSize) / (p.totalNs / 1e9)),
      rawPerCheckNs: p.raw,
    };
  });
}

/**
 * A fixed, trivial JS workload (a 47-character string hash), timed before and after the run, so that a
 * reader can tell a slow or busy machine from a slow implementation.
 */
function calibrate(): number {
  const s = 'plant/p07/line/l12/machine/m0153/temperature/x';
  const hashOnce = (): number => {
    let h = 0;
    for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
    return h;
  };
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 200_000; i++) sink ^= hashOnce();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 200_000);
  }
  return Math.round(best * 10) / 10;
}

// ---------------------------------------------------------------------------------------------------
// Reporting

const fmtNs = (ns: number): string =>
  ns >= 1e6
    ? `${(ns / 1e6).toFixed(2)} ms`
    : ns >= 1e4
      ? `${(ns / 1e3).toFixed(1)} µs`
      : `${Math.round(ns)} ns`;
const fmtRate = (r: number): string =>
  r >= 1e6 ? `${(r / 1e6).toFixed(2)} M/s` : r >= 1e3 ? `${(r / 1e3).toFixed(1)} k/s` : `${r.toFixed(0)} /s`;
const fmtPct = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)} %`;
const fmtX = (x: number): string =>
  x >= 100 ? `${Math.round(x).toLocaleString('en-US')}×` : `${x.toFixed(1)}×`;

interface Conditions {
  before: { loadAverage: number[]; hash47Ns: number };
  after: { loadAverage: number[]; hash47Ns: number };
}

function markdown(
  cells: readonly Cell[],
  machine: Record<string, unknown>,
  conditions: Conditions,
  startedAt: string,
  durationS: number,
): string {
  const get = (impl: ImplName, check: CheckKind, kind: CaseKind, n: number): Cell => {
    const c = cells.find(
      (x) => x.impl === impl && x.check === check && x.case === kind && x.permissions === n,
    );
    if (c === undefined) throw new Error('missing cell');
    return c;
  };
  const lines: string[] = [];
  lines.push(
    `Measured ${startedAt.slice(0, 10)} on ${String(machine.cpuModel)} (${String(machine.cores)} cores, ` +
      `${String(machine.totalMemGiB)} GiB), Node ${String(machine.node)}, ${String(machine.platform)}; ` +
      `${durationS.toFixed(0)} s. Load average (1 min) ${conditions.before.loadAverage[0]} before, ` +
      `${conditions.after.loadAverage[0]} after; calibration (47-char string hash in plain JS) ` +
      `${conditions.before.hash47Ns} ns before, ${conditions.after.hash47Ns} ns after. ` +
      `Latency = per-check mean of a batch (see Method); speedup = naive p50 / compiled p50.`,
  );
  lines.push('');
  lines.push(
    '| permissions | check | case | compiled p50 | compiled p99 | compiled rate | + 100 denies p50 | + 100 denies p99 | deny overhead | naive CASL p50 | naive CASL p99 | naive rate | speedup |',
  );
  lines.push('|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const n of SIZES) {
    for (const check of CHECKS) {
      for (const kind of CASES) {
        const c = get('compiled', check, kind, n);
        const d = get('compiled-100-deny', check, kind, n);
        const b = get('naive-casl', check, kind, n);
        lines.push(
          `| ${n.toLocaleString('en-US')} | ${check} | ${kind} | ${fmtNs(c.p50Ns)} | ${fmtNs(c.p99Ns)} | ` +
            `${fmtRate(c.decisionsPerSecond)} | ${fmtNs(d.p50Ns)} | ${fmtNs(d.p99Ns)} | ${fmtPct(d.p50Ns / c.p50Ns - 1)} | ` +
            `${fmtNs(b.p50Ns)} | ${fmtNs(b.p99Ns)} | ` +
            `${fmtRate(b.decisionsPerSecond)} | ${fmtX(b.p50Ns / c.p50Ns)} |`,
        );
      }
    }
  }
  lines.push('');
  const p99At10k = Math.max(
    ...cells.filter((c) => c.impl === 'compiled' && c.permissions === 10_000).map((c) => c.p99Ns),
  );
  const speedups = CHECKS.flatMap((check) =>
    CASES.map(
      (kind) => get('naive-casl', check, kind, 1_000).p50Ns / get('compiled', check, kind, 1_000).p50Ns,
    ),
  );
  const minSpeedup = Math.min(...speedups);
  const worstDeny = Math.max(
    ...SIZES.flatMap((n) =>
      CHECKS.flatMap((check) =>
        CASES.map(
          (kind) =>
            get('compiled-100-deny', check, kind, n).p50Ns / get('compiled', check, kind, n).p50Ns - 1,
        ),
      ),
    ),
  );
  lines.push(
    `Goals: compiled p99 ≤ ${GOAL_P99_NS_AT_10K} ns at 10,000 permissions: worst case ${fmtNs(p99At10k)} ` +
      `(${p99At10k <= GOAL_P99_NS_AT_10K ? 'met' : 'NOT met'}); ≥ ${GOAL_SPEEDUP_AT_1K}× the naive baseline at 1,000: ` +
      `smallest speedup ${fmtX(minSpeedup)} (${minSpeedup >= GOAL_SPEEDUP_AT_1K ? 'met' : 'NOT met'}); ` +
      `${DENY_RULES} deny rules within ${fmtPct(GOAL_DENY_OVERHEAD)} of none (p50 per check): worst ${fmtPct(worstDeny)} ` +
      `(${worstDeny <= GOAL_DENY_OVERHEAD ? 'met' : 'NOT met'}).`,
  );
  return lines.join('\n');
}

/** The before/after table of `--before`: a principal without deny rules, today's matcher against `rev`'s. */
function beforeAfterTable(
  rows: readonly {
    permissions: number;
    check: string;
    case: string;
    beforeP50Ns: number;
    afterP50Ns: number;
  }[],
  rev: string,
  startedAt: string,
  conditions: Conditions,
): string {
  const lines = [
    `Measured ${startedAt.slice(0, 10)}: \`npm run bench:authz -- --before=${rev}\`, the two matchers interleaved batch by ` +
      `batch on the same rules (no denies) and pools. Load average (1 min) ${conditions.before.loadAverage[0]} before, ` +
      `${conditions.after.loadAverage[0]} after.`,
    '',
    `| permissions | check | case | before (${rev}) p50 | now p50 | now / before |`,
    '|---:|---|---|---:|---:|---:|',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.permissions.toLocaleString('en-US')} | ${r.check} | ${r.case} | ${fmtNs(r.beforeP50Ns)} | ` +
        `${fmtNs(r.afterP50Ns)} | ${fmtPct(r.afterP50Ns / r.beforeP50Ns - 1)} |`,
    );
  const worst = Math.max(...rows.map((r) => r.afterP50Ns / r.beforeP50Ns - 1));
  lines.push('', `Worst cell: ${fmtPct(worst)} (positive: slower now).`);
  return lines.join('\n');
}

/** Used only when bench/README.md is missing; the README's prose is maintained by hand. */
const README_STUB =
  '# Benchmarks\n\n## Authorization decisions\n\n<!-- authz:start -->\n<!-- authz:end -->\n';

function updateReadme(table: string, marker = 'authz'): void {
  let text = fs.existsSync(README_FILE) ? fs.readFileSync(README_FILE, 'utf8') : README_STUB;
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  if (!text.includes(start) || !text.includes(end)) text += `\n${start}\n${end}\n`;
  const before = text.slice(0, text.indexOf(start) + start.length);
  const after = text.slice(text.indexOf(end));
  fs.writeFileSync(README_FILE, `${before}\n${table}\n${after}`);
}

// ---------------------------------------------------------------------------------------------------

/**
 * Profiles the compiled implementation on one pool (an extra run, not counted in the table): the V8
 * sampling profiler through an in-process inspector session, every 50 µs, for {@link PROFILE_MS}.
 */
async function profileCompiled(
  impl: Impl,
  check: CheckKind,
  permissions: number,
  requests: readonly string[],
): Promise<ProfileSummary> {
  const pool = requests.map((r) => impl.prepare(check, r));
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
  const end = process.hrtime.bigint() + BigInt(PROFILE_MS) * 1_000_000n;
  let offset = 0;
  while (process.hrtime.bigint() < end) {
    sink += runBatch(impl, check, pool, offset, COMPILED_BATCH);
    offset = (offset + COMPILED_BATCH) & (POOL_SIZE - 1);
  }
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  fs.mkdirSync(PROFILE_DIR, { recursive: true });
  const file = path.join(PROFILE_DIR, `authz-compiled-${check}-hit-${permissions}.cpuprofile`);
  fs.writeFileSync(file, JSON.stringify(profile));
  const summary = summarizeProfile(file);
  console.log(`profile: compiled ${check} hit, ${permissions} permissions`);
  printProfile(summary);
  return summary;
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const t0 = process.hrtime.bigint();
  const cpus = os.cpus();
  const machine = {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
  const before = { loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100), hash47Ns: calibrate() };
  console.log(
    `authz bench${QUICK ? ' (--quick)' : ''}: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}; ` +
      `load ${before.loadAverage.join(' ')}, calibration ${before.hash47Ns} ns`,
  );

  const Before = BEFORE_REV ? loadBefore(BEFORE_REV) : undefined;
  const cells: Cell[] = [];
  const profiles: Record<string, ProfileSummary> = {};
  const ruleStats: Record<
    number,
    { rules: number; inactive: number; writeRules: number; readRules: number; compileMs: number }
  > = {};
  for (const n of SIZES) {
    const random = rng(SEED + n);
    const rules = generateRules(n, random);
    const compileStart = process.hrtime.bigint();
    const compiled = CompiledPermissions.compile(rules, VARS);
    const compileMs = Number(process.hrtime.bigint() - compileStart) / 1e6;
    const withDenies = CompiledPermissions.compile([...rules, ...generateDenies(rng(SEED + n + 1))], VARS);
    const impls: Record<ImplName, Impl> = {
      compiled: compiledImpl(compiled),
      'compiled-100-deny': compiledImpl(withDenies),
      'naive-casl': naiveCaslImpl(rules, VARS),
      // the same rules, compiled by the matcher of --before (or today's again when it is not given: unused)
      'compiled-before': compiledImpl((Before ?? CompiledPermissions).compile(rules, VARS)),
    };
    ruleStats[n] = {
      rules: compiled.ruleCount,
      inactive: compiled.inactiveRuleCount,
      writeRules: rules.filter((r) => grants(r, 'write')).length,
      readRules: rules.filter((r) => grants(r, 'read')).length,
      compileMs: Math.round(compileMs * 100) / 100, // first compile of the run: includes JIT warm-up
    };
    for (const check of CHECKS) {
      for (const kind of CASES) {
        const pool = buildPool(check, kind, rules, impls, random);
        if (CPU_PROF && kind === 'hit' && PROFILE_SIZES.includes(n))
          profiles[`compiled-${check}-hit-${n}`] = await profileCompiled(impls.compiled, check, n, pool);
        // the compiled matcher with and without denies interleaved (their ratio is the deny overhead);
        // the naive baseline on its own (its batches are 10-10,000× longer)
        const measured = [
          ...measure(check, kind, n, [
            prepare('compiled', impls.compiled, check, pool),
            prepare('compiled-100-deny', impls['compiled-100-deny'], check, pool),
            ...(Before ? [prepare('compiled-before', impls['compiled-before'], check, pool)] : []),
          ]),
          ...measure(check, kind, n, [prepare('naive-casl', impls['naive-casl'], check, pool)]),
        ];
        for (const cell of measured) {
          cells.push(cell);
          const name = cell.impl;
          console.log(
            `${String(n).padStart(6)} ${check.padEnd(9)} ${kind.padEnd(4)} ${name.padEnd(13)} ` +
              `p50 ${fmtNs(cell.p50Ns).padStart(9)}  p99 ${fmtNs(cell.p99Ns).padStart(9)}  ` +
              `${fmtRate(cell.decisionsPerSecond).padStart(10)}  (batch ${cell.batchSize}, ${cell.samples} samples)`,
          );
        }
      }
    }
  }
  const durationS = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = { loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100), hash47Ns: calibrate() };
  const conditions = { before, after };
  const table = markdown(cells, machine, conditions, startedAt, durationS);

  const medians = cells.map((cell) => {
    const summary: Partial<Cell> = { ...cell };
    delete summary.rawPerCheckNs;
    return summary;
  });
  const result = {
    benchmark: 'authz',
    scenario: 'issue 5, scenario 1: in-process authorization decisions',
    command: `node bench/run-ts.js bench/authz/authz.bench.ts${QUICK ? ' --quick' : ''}${CPU_PROF ? ' --cpu-prof' : ''}`,
    startedAt,
    durationSeconds: Math.round(durationS * 10) / 10,
    machine,
    conditions,
    parameters: {
      quick: QUICK,
      sizes: SIZES,
      denyRules: DENY_RULES,
      poolSize: POOL_SIZE,
      compiledBatchSize: COMPILED_BATCH,
      naiveTargetBatchNs: NAIVE_TARGET_BATCH_NS,
      warmupMs: WARMUP_MS,
      cellBudgetMs: CELL_BUDGET_MS,
      maxSamples: MAX_SAMPLES,
      minSamples: MIN_SAMPLES,
      seed: SEED,
      vars: VARS,
      latency: 'per-check mean of each batch (batch time / batch size); p50/p99 over batches, nearest rank',
      rules: ruleStats,
    },
    goals: {
      p99NsAt10kPermissions: GOAL_P99_NS_AT_10K,
      speedupAt1kPermissions: GOAL_SPEEDUP_AT_1K,
      denyOverheadAt100Denies: GOAL_DENY_OVERHEAD,
    },
    summary: medians,
    profiles,
    raw: cells.map((c) => ({
      impl: c.impl,
      check: c.check,
      case: c.case,
      permissions: c.permissions,
      batchSize: c.batchSize,
      perCheckNs: c.rawPerCheckNs,
    })),
    sink,
  };
  if (BEFORE_REV) {
    const rows = cells
      .filter((c) => c.impl === 'compiled-before')
      .map((b) => {
        const c = cells.find(
          (x) =>
            x.impl === 'compiled' &&
            x.check === b.check &&
            x.case === b.case &&
            x.permissions === b.permissions,
        ) as Cell;
        return {
          permissions: b.permissions,
          check: b.check,
          case: b.case,
          beforeP50Ns: b.p50Ns,
          afterP50Ns: c.p50Ns,
        };
      });
    const beforeAfter = beforeAfterTable(rows, BEFORE_REV, startedAt, conditions);
    if (!QUICK) {
      fs.writeFileSync(
        BEFORE_AFTER_FILE,
        JSON.stringify(
          {
            benchmark: 'authz-before-after',
            command: `${result.command} --before=${BEFORE_REV}`,
            before: BEFORE_REV,
            startedAt,
            machine,
            conditions,
            rows,
          },
          null,
          1,
        ) + '\n',
      );
      updateReadme(beforeAfter, 'authz-before-after');
      console.log(`wrote ${path.relative(ROOT, BEFORE_AFTER_FILE)}`);
    }
    console.log(`\n${beforeAfter}\n`);
  }
  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  fs.writeFileSync(RESULTS_FILE, JSON.stringify(result, null, 1) + '\n');
  console.log(`\n${table}\n`);
  console.log(`wrote ${path.relative(ROOT, RESULTS_FILE)}`);
  if (!QUICK && !CPU_PROF) {
    updateReadme(table);
    console.log(`updated ${path.relative(ROOT, README_FILE)}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
