/**
 * MQTT throughput (issue 5, scenario 2): one publisher → one subscriber at QoS 0 and QoS 1, and one
 * publisher → 100 subscribers (QoS 0 fan-out), small payloads, a fixed message count, through
 *   (a) bare aedes, no hooks;
 *   (b) the Gatehouse gateway (dist/, its own process, admin-api beside it on PostgreSQL), every client
 *       logged in as a user holding 1,000 permissions;
 *   (c) Mosquitto 2 (Debian) with the dynamic-security plugin holding the same 1,000 rules as ACLs;
 *   (c0) the same Mosquitto with only the rules the traffic needs (its rule-free speed, for context).
 * The load generator is the same for all: mqtt.js clients in separate processes (bench/lib/workers).
 *
 *   npm run bench:mqtt-throughput                 full run (≈ 6 min): bench/results/mqtt-throughput.json + README table
 *   npm run bench:mqtt-throughput -- --quick      smoke run (< 1 min): bench/.tmp/mqtt-throughput.quick.json
 *   … -- --cpu-prof                               also profiles the gateway and bare aedes (bench/.tmp/profiles/)
 *   … -- --baseline=DIR                           also runs (b0): the gateway and admin-api of another checkout
 *                                                 (DIR, with `npm run build` done there), interleaved with (b), for
 *                                                 a before/after figure in the same run (b/b0)
 *   … -- --candidate=DIR                          runs (b) from the checkout DIR instead of this one
 *   … -- --no-mosquitto                           leaves (c) and (c0) out (shorter before/after runs)
 *   … -- --reps=N                                 N repetitions per cell instead of 5 (before/after runs want more)
 *   … -- --label=NAME                             a before/after run's own results file and README section
 *                                                 (mqtt-throughput-before-after-NAME), so several can stand side by side
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  CPU_PROF,
  QUICK,
  ROOT,
  fmtInt,
  fmtRatio,
  loadAverage,
  log,
  machine,
  measuredLine,
  median,
  nowNs,
  packageVersion,
  round,
  updateReadme,
  writeResults,
} from '../lib/common';
import {
  type AdminApiProcess,
  type BenchDatabase,
  type GatewayProcess,
  Rest,
  createBenchDatabase,
  startAdminApi,
  startGateway,
  stopGatehouse,
} from '../lib/gatehouse';
import { type Cred, LoadWorker } from '../lib/load';
import { type Mosquitto, mosquittoUnavailable, startMosquitto } from '../lib/mosquitto';
import { type Spawned, beginRun, profileStart, profileStop, startBareAedes, stop } from '../lib/processes';
import { type ProfileSummary, printProfile, summarizeProfile } from '../lib/profile';
import { mosquittoAcls, permissions } from '../lib/rules';

const NAME = 'mqtt-throughput';
const fmtRatio3 = (n: number): string => (Number.isFinite(n) ? n.toFixed(3) : fmtRatio(n));
const RULES = 1_000;
const PAYLOAD_BYTES = 64;
const TOPIC = 'bench/throughput/data';
const USERNAME = 'bench-device';
const PASSWORD = 'Bench-device-password-1';
const REPS_FLAG = process.argv.find((a) => a.startsWith('--reps='))?.slice('--reps='.length);
if (REPS_FLAG !== undefined && !/^[1-9][0-9]?$/.test(REPS_FLAG))
  throw new Error(`--reps=${REPS_FLAG}: a whole number from 1 to 99`);
const REPS = REPS_FLAG ? Number(REPS_FLAG) : QUICK ? 1 : 5;
const SUB_WORKERS_FANOUT = 2;
const BASELINE = process.argv.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length);
const NO_MOSQUITTO = process.argv.includes('--no-mosquitto');
const LABEL = process.argv.find((a) => a.startsWith('--label='))?.slice('--label='.length);
if (LABEL !== undefined && !/^[a-z0-9-]{1,40}$/.test(LABEL))
  throw new Error(`--label=${LABEL}: use 1 to 40 of a-z, 0-9 and -`);

/** The last commit of a checkout given with `flag` (what (b0) or (b) is), checked before anything starts. */
function checkoutRevision(flag: string, dir: string): string {
  if (!fs.existsSync(path.join(dir, 'dist/apps/broker-gateway/src/main.js')))
    throw new Error(
      `${flag}=${dir}: no dist/apps/broker-gateway/src/main.js there (run npm run build in it)`,
    );
  try {
    return execFileSync('git', ['-C', dir, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim();
  } catch {
    return path.resolve(dir);
  }
}
const BASELINE_REV = BASELINE ? checkoutRevision('--baseline', BASELINE) : undefined;
const CANDIDATE = process.argv.find((a) => a.startsWith('--candidate='))?.slice('--candidate='.length);
const CANDIDATE_REV = CANDIDATE ? checkoutRevision('--candidate', CANDIDATE) : undefined;

interface Cell {
  id: 'qos0' | 'qos1' | 'fanout';
  label: string;
  qos: 0 | 1;
  subscribers: number;
  messages: number;
  window: number;
}
const CELLS: Cell[] = [
  {
    id: 'qos0',
    label: 'QoS 0, 1 → 1',
    qos: 0,
    subscribers: 1,
    messages: QUICK ? 10_000 : 100_000,
    window: 1_000,
  },
  {
    id: 'qos1',
    label: 'QoS 1, 1 → 1',
    qos: 1,
    subscribers: 1,
    messages: QUICK ? 5_000 : 50_000,
    window: 100,
  },
  {
    id: 'fanout',
    label: 'QoS 0, 1 → 100',
    qos: 0,
    subscribers: 100,
    messages: QUICK ? 200 : 2_000,
    window: 1_000,
  },
];

type BrokerId = 'aedes' | 'gatehouse' | 'gatehouse-baseline' | 'mosquitto' | 'mosquitto-norules';
const BROKER_LABEL: Record<BrokerId, string> = {
  aedes: '(a) bare aedes',
  gatehouse: `(b) Gatehouse gateway, ${RULES.toLocaleString('en-US')} permissions${CANDIDATE_REV ? ` (${CANDIDATE_REV})` : ''}`,
  'gatehouse-baseline': `(b0) Gatehouse gateway of the baseline checkout (${BASELINE_REV ?? 'none'}), same rules`,
  mosquitto: `(c) Mosquitto + dynsec, ${RULES.toLocaleString('en-US')} ACL rules`,
  'mosquitto-norules': '(c0) Mosquitto + dynsec, only the granting rule',
};

interface Run {
  broker: BrokerId;
  cell: Cell['id'];
  rep: number;
  messages: number;
  subscribers: number;
  delivered: number;
  expected: number;
  /** Publisher's first publish → last delivery at the last subscriber. */
  durationMs: number;
  deliveriesPerSecond: number;
  /** Messages per second in at the publisher side (= deliveries / subscribers). */
  messagesPerSecond: number;
  publishMs: number;
}

interface BrokerUnderTest {
  id: BrokerId;
  url: string;
  creds: (clientId: string) => Cred;
  inspectable?: Spawned;
  describe: Record<string, unknown>;
  close(): Promise<void>;
}

const grants = [{ context: 'mqtt' as const, resource: 'bench/+/data', operation: 'readWrite' as const }];

async function startAedes(): Promise<BrokerUnderTest> {
  const { url, proc } = await startBareAedes();
  return {
    id: 'aedes',
    url,
    creds: (clientId) => ({ username: USERNAME, password: PASSWORD, clientId }),
    inspectable: proc,
    describe: { process: 'node bench/run-ts.js bench/lib/workers/bare-aedes.ts', hooks: 'none' },
    close: () => stop(proc.child),
  };
}

/** (b), or (b0) from the baseline checkout `root` (its own database and data folders). */
async function startGatehouse(root?: string, id: BrokerId = 'gatehouse'): Promise<BrokerUnderTest> {
  let db: BenchDatabase | undefined;
  let admin: AdminApiProcess | undefined;
  let gateway: GatewayProcess | undefined;
  const scenario = id === 'gatehouse-baseline' ? `${NAME}-baseline` : NAME;
  try {
    db = await createBenchDatabase(scenario);
    admin = await startAdminApi(db, scenario, {}, false, root);
    gateway = await startGateway(admin, scenario, {}, [], root);
    const rest = await Rest.login(admin.httpUrl);
    const perms = permissions(RULES, grants);
    await rest.createUser(USERNAME, PASSWORD, perms);
  } catch (err) {
    await stopGatehouse({ gateway, admin, db });
    throw err;
  }
  const parts = { gateway, admin, db };
  return {
    id,
    url: gateway.mqttUrl,
    creds: (clientId) => ({ username: USERNAME, password: PASSWORD, clientId }),
    inspectable: gateway,
    describe: {
      process:
        'node --disable-warning=ExperimentalWarning dist/apps/broker-gateway/src/main.js (admin-api in its own process)',
      database: 'PostgreSQL (fresh gatehouse_bench_* database)',
      permissions: RULES,
      note: 'every client of the run logs in as the same user; the first CONNECT verifies the password (argon2id), later ones hit the verification cache',
      ...(root
        ? { checkout: path.resolve(root), revision: root === BASELINE ? BASELINE_REV : CANDIDATE_REV }
        : {}),
    },
    close: () => stopGatehouse(parts),
  };
}

async function startMosquittoBroker(id: 'mosquitto' | 'mosquitto-norules'): Promise<BrokerUnderTest> {
  const m: Mosquitto = await startMosquitto();
  try {
    const perms = id === 'mosquitto' ? permissions(RULES, grants) : grants;
    const acls = mosquittoAcls(perms, USERNAME);
    await m.control([
      // Deliveries are checked against read ACLs, as Gatehouse does (SPEC 1.4.4); dynsec's default allows them.
      { command: 'setDefaultACLAccess', acls: [{ acltype: 'publishClientReceive', allow: false }] },
      { command: 'createRole', rolename: 'bench-role' },
      ...acls.map((a) => ({ command: 'addRoleACL', rolename: 'bench-role', ...a })),
      {
        command: 'createClient',
        username: USERNAME,
        password: PASSWORD,
        roles: [{ rolename: 'bench-role' }],
      },
    ]);
    return {
      id,
      url: m.url,
      creds: (clientId) => ({ username: USERNAME, password: PASSWORD, clientId }),
      describe: {
        version: m.version,
        plugin: 'mosquitto_dynamic_security.so',
        rules: perms.length,
        acls: acls.length,
        aclOrder: 'insertion order, the granting rule last (all with the default priority)',
        config:
          'max_queued_messages 0 (unbounded, like aedes), persistence false, defaultACLAccess publishClientReceive deny',
      },
      close: () => m.close(),
    };
  } catch (err) {
    await m.close();
    throw err;
  }
}

async function runCell(
  b: BrokerUnderTest,
  cell: Cell,
  rep: number,
  messages: number,
  pub: LoadWorker,
  subs: LoadWorker[],
): Promise<Run> {
  const per = Math.ceil(cell.subscribers / subs.length);
  const used = subs.slice(0, Math.ceil(cell.subscribers / per));
  const tag = `${b.id}-${cell.id}-${rep}-${process.pid}`;
  // Subscribers first, then the publisher.
  let n = 0;
  for (const [w, worker] of used.entries()) {
    const k = Math.min(per, cell.subscribers - n);
    const creds = Array.from({ length: k }, (_, i) => b.creds(`sub-${tag}-${w}-${i}`));
    n += k;
    await worker.connect(b.url, creds, 20);
    const granted = await worker.subscribe(TOPIC, cell.qos);
    if (granted.some((g) => g !== cell.qos))
      throw new Error(`${b.id}: subscription refused or downgraded: ${granted.join(',')}`);
  }
  await pub.connect(b.url, [b.creds(`pub-${tag}`)], 1);
  for (const w of used) await w.cmd({ type: 'arm', expect: messages }, 'armed');
  const received = used.map((w) =>
    w.next<{ perClient: { count: number; lastMs: number }[] }>('received', 600_000),
  );
  const published = await pub.cmd<{ startMs: number; endMs: number }>(
    {
      type: 'publish',
      topic: TOPIC,
      qos: cell.qos,
      count: messages,
      payloadBytes: PAYLOAD_BYTES,
      window: cell.window,
    },
    'published',
    600_000,
  );
  // Every subscriber should get every message; if one stalls (a broker dropping messages), wait 5 s of silence.
  const per_client: { count: number; lastMs: number }[] = [];
  for (const [i, w] of used.entries()) {
    let result: { count: number; lastMs: number }[] | undefined;
    let last = -1;
    while (!result) {
      const r = await Promise.race([
        received[i].then((x) => x.perClient),
        new Promise<null>((res) => setTimeout(() => res(null), 5_000)),
      ]);
      if (r) result = r;
      else {
        const c = await w.collect();
        const total = c.reduce((s, x) => s + x.count, 0);
        if (total === last) result = c;
        last = total;
      }
    }
    per_client.push(...result);
  }
  for (const p of received) p.catch(() => undefined);
  const delivered = per_client.reduce((s, c) => s + c.count, 0);
  const lastMs = Math.max(...per_client.map((c) => c.lastMs));
  const durationMs = lastMs - published.startMs;
  await pub.disconnect();
  for (const w of used) await w.disconnect();
  return {
    broker: b.id,
    cell: cell.id,
    rep,
    messages,
    subscribers: cell.subscribers,
    delivered,
    expected: messages * cell.subscribers,
    durationMs: round(durationMs, 2),
    deliveriesPerSecond: Math.round((delivered / durationMs) * 1000),
    messagesPerSecond: Math.round((delivered / cell.subscribers / durationMs) * 1000),
    publishMs: round(published.endMs - published.startMs, 2),
  };
}

/** `--render`: rebuilds the README table from bench/results/mqtt-throughput.json without measuring. */
async function render(): Promise<void> {
  const r = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench', 'results', `${NAME}.json`), 'utf8'));
  const brokers = Object.keys(r.parameters.brokers) as BrokerId[];
  const summary = summarize(r.raw as Run[], brokers);
  const table = markdown(
    summary,
    r.machine,
    r.startedAt,
    r.durationSeconds,
    r.command,
    r.skipped,
    r.profiles,
  );
  console.log(table);
  await updateReadme(NAME, 'MQTT throughput (issue 5, scenario 2)', table);
}

async function main(): Promise<void> {
  if (process.argv.includes('--render')) return render();
  const { startedAt, t0, m, loadBefore } = beginRun(NAME);

  const pub = await LoadWorker.start('publisher');
  const subs = await Promise.all(
    Array.from({ length: SUB_WORKERS_FANOUT }, (_, i) => LoadWorker.start(`subscribers-${i}`)),
  );
  const brokers: BrokerId[] = ['aedes', 'gatehouse', ...(BASELINE ? ['gatehouse-baseline' as const] : [])];
  const skipped: Record<string, string> = {};
  const unavailable = NO_MOSQUITTO ? 'left out (--no-mosquitto)' : mosquittoUnavailable();
  if (unavailable) {
    skipped.mosquitto = unavailable;
    log(NAME, `Mosquitto skipped: ${unavailable}`);
  } else brokers.push('mosquitto', 'mosquitto-norules');

  const runs: Run[] = [];
  const profiles: Record<string, ProfileSummary> = {};
  const started: BrokerUnderTest[] = [];
  try {
    // All brokers run side by side (idle while another is measured) and the runs are interleaved
    // (rep 1 of a, b, c, c0, then rep 2, …) so that a change in background load hits all of them alike.
    for (const id of brokers) {
      log(NAME, `starting ${BROKER_LABEL[id]}`);
      const b =
        id === 'aedes'
          ? await startAedes()
          : id === 'gatehouse'
            ? await startGatehouse(CANDIDATE)
            : id === 'gatehouse-baseline'
              ? await startGatehouse(BASELINE, id)
              : await startMosquittoBroker(id);
      started.push(b);
      describeBrokers[id] = { label: BROKER_LABEL[id], ...b.describe };
    }
    for (const cell of CELLS) {
      // Warm-up (JIT, caches, the gateway's first CONNECT): a tenth of the messages, not recorded.
      for (const b of started)
        await runCell(b, cell, 0, Math.max(100, Math.round(cell.messages / 10)), pub, subs);
      for (let rep = 1; rep <= REPS; rep++) {
        for (const b of started) {
          const r = await runCell(b, cell, rep, cell.messages, pub, subs);
          runs.push(r);
          log(
            NAME,
            `${b.id.padEnd(17)} ${cell.label.padEnd(15)} #${rep}: ${fmtInt(r.deliveriesPerSecond).padStart(8)} deliveries/s ` +
              `(${fmtInt(r.delivered)}/${fmtInt(r.expected)} in ${r.durationMs.toFixed(0)} ms)`,
          );
        }
      }
    }
    if (CPU_PROF) {
      // Separate, unrecorded runs under the profiler (it slows the process down by itself).
      for (const b of started.filter((x) => x.inspectable)) {
        for (const cell of CELLS) {
          await profileStart(b.inspectable!.child);
          const r = await runCell(b, cell, 0, cell.messages, pub, subs);
          const file = await profileStop(b.inspectable!.child, `${NAME}-${b.id}-${cell.id}`);
          const key = `${b.id}-${cell.id}`;
          profiles[key] = {
            ...summarizeProfile(file),
            ...{ deliveriesPerSecondWhileProfiling: r.deliveriesPerSecond },
          };
          log(NAME, `profiled ${key} (${fmtInt(r.deliveriesPerSecond)} deliveries/s under the profiler)`);
          printProfile(profiles[key]);
        }
      }
    }
  } finally {
    for (const b of started) await b.close().catch(() => undefined);
    await pub.exit();
    for (const s of subs) await s.exit();
  }

  const durationS = Number(nowNs() - t0) / 1e9;
  const summary = summarize(runs, brokers);
  const flags = [
    QUICK && '--quick',
    CPU_PROF && '--cpu-prof',
    BASELINE && `--baseline=${BASELINE}`,
    CANDIDATE && `--candidate=${CANDIDATE}`,
    NO_MOSQUITTO && '--no-mosquitto',
    LABEL && `--label=${LABEL}`,
    REPS_FLAG && `--reps=${REPS_FLAG}`,
  ].filter(Boolean);
  const command = `npm run bench:${NAME}${flags.length ? ` -- ${flags.join(' ')}` : ''}`;
  const table = markdown(summary, m, startedAt, durationS, command, skipped, profiles);
  // A before/after run keeps its own results file and README section (the main table stays the reference run).
  const resultName = BASELINE ? `${NAME}-before-after${LABEL ? `-${LABEL}` : ''}` : NAME;
  const file = writeResults(resultName, {
    benchmark: NAME,
    scenario: 'issue 5, scenario 2: MQTT throughput, bare aedes vs Gatehouse gateway vs Mosquitto dynsec',
    command,
    startedAt,
    durationSeconds: round(durationS),
    machine: m,
    conditions: { loadAverageBefore: loadBefore, loadAverageAfter: loadAverage() },
    parameters: {
      quick: QUICK,
      reps: REPS,
      payloadBytes: PAYLOAD_BYTES,
      topic: TOPIC,
      rules: RULES,
      cells: CELLS,
      loadGenerator: `mqtt.js ${packageVersion('mqtt')} (MQTT 3.1.1), 1 publisher process, ${SUB_WORKERS_FANOUT} subscriber processes (1 → 1 uses one)`,
      publisherWindow:
        'at most `window` publishes awaiting their callback (QoS 0: written to the socket; QoS 1: PUBACK)',
      rate: 'deliveries received by all subscribers / (last delivery − first publish); one warm-up run per cell (a tenth of the messages) is not recorded',
      brokers: describeBrokers,
    },
    skipped,
    goals: { qos0_b_over_a: 0.95, qos1_b_over_a: 0.9, qos0_b_over_c: 3 },
    summary,
    profiles,
    raw: runs,
  });
  log(NAME, `wrote ${file}`);
  console.log(`\n${table}\n`);
  await updateReadme(
    resultName,
    BASELINE
      ? `MQTT throughput before/after${LABEL ? ` (${LABEL})` : ''}: gateway vs a baseline checkout`
      : 'MQTT throughput (issue 5, scenario 2)',
    table,
  );
}

const describeBrokers: Record<string, unknown> = {};

type Summary = Record<
  string,
  Record<string, { median: number; samples: number[]; lossPct: number } | undefined>
> & {
  paired?: Record<
    string,
    { ba: number; bc: number; baPerRep: number[]; bcPerRep: number[]; bb0?: number; bb0PerRep?: number[] }
  >;
};

function summarize(runs: Run[], brokers: BrokerId[]): Summary {
  const out: Summary = {};
  for (const cell of CELLS) {
    out[cell.id] = {};
    for (const b of brokers) {
      const rs = runs.filter((r) => r.broker === b && r.cell === cell.id);
      if (rs.length === 0) continue;
      const lost = rs.reduce((s, r) => s + (r.expected - r.delivered), 0);
      const expected = rs.reduce((s, r) => s + r.expected, 0);
      out[cell.id][b] = {
        median: median(rs.map((r) => r.deliveriesPerSecond)),
        samples: rs.map((r) => r.deliveriesPerSecond),
        lossPct: round((lost / expected) * 100, 3),
      };
    }
  }
  // Paired ratios: b/a and b/c of the same repetition (measured back to back), median over repetitions.
  out.paired = {};
  for (const cell of CELLS) {
    const rate = (b: BrokerId, rep: number): number =>
      runs.find((r) => r.broker === b && r.cell === cell.id && r.rep === rep)?.deliveriesPerSecond ?? NaN;
    const reps = [...new Set(runs.filter((r) => r.cell === cell.id).map((r) => r.rep))];
    const baPerRep = reps.map((rep) => round(rate('gatehouse', rep) / rate('aedes', rep), 3));
    const bcPerRep = reps.map((rep) => round(rate('gatehouse', rep) / rate('mosquitto', rep), 3));
    out.paired[cell.id] = { ba: median(baPerRep), bc: median(bcPerRep), baPerRep, bcPerRep };
    if (brokers.includes('gatehouse-baseline')) {
      const bb0PerRep = reps.map((rep) => round(rate('gatehouse', rep) / rate('gatehouse-baseline', rep), 3));
      Object.assign(out.paired[cell.id], { bb0: median(bb0PerRep), bb0PerRep });
    }
  }
  return out;
}

function markdown(
  s: Summary,
  m: ReturnType<typeof machine>,
  startedAt: string,
  durationS: number,
  command: string,
  skipped: Record<string, string>,
  profiles: Record<string, ProfileSummary>,
): string {
  const lines: string[] = [measuredLine(m, startedAt, durationS, command), ''];
  lines.push(
    `Deliveries per second received by the subscribers (median of ${REPS} run${REPS > 1 ? 's' : ''}; ${PAYLOAD_BYTES}-byte payloads). ` +
      'For the fan-out, 1 published message = 100 deliveries.',
  );
  lines.push('');
  lines.push(
    '| traffic | (a) bare aedes | (b) Gatehouse | (c) Mosquitto, 1,000 ACLs | (c0) Mosquitto, 1 ACL | b/a | b/c | goal |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|');
  const goals: Record<Cell['id'], string> = { qos0: 'b/a ≥ 0.95, b/c ≥ 3', qos1: 'b/a ≥ 0.9', fanout: '–' };
  const verdicts: string[] = [];
  for (const cell of CELLS) {
    const c = s[cell.id];
    const v = (b: BrokerId): string => {
      const x = c[b];
      if (!x) return 'skipped';
      return `${fmtInt(x.median)}${x.lossPct > 0 ? ` (${x.lossPct} % lost)` : ''}`;
    };
    const ba = (c.gatehouse?.median ?? NaN) / (c.aedes?.median ?? NaN);
    const bc = (c.gatehouse?.median ?? NaN) / (c.mosquitto?.median ?? NaN);
    const pr = s.paired?.[cell.id];
    let goal = goals[cell.id];
    // A goal is met when both estimators (ratio of medians, median of paired ratios) reach it, missed when
    // neither does, and inconclusive otherwise (the noise of the machine is larger than the difference).
    const verdict = (x: number, paired: number, target: number): string => {
      if (!Number.isFinite(x)) return 'not measured';
      const a = x >= target;
      const b = Number.isFinite(paired) ? paired >= target : a;
      return a && b
        ? 'met'
        : !a && !b
          ? `**missed** (${fmtRatio3(x)}, paired ${fmtRatio3(paired)})`
          : `inconclusive (${fmtRatio3(x)}, paired ${fmtRatio3(paired)})`;
    };
    if (cell.id === 'qos0') {
      const vA = verdict(ba, pr?.ba ?? NaN, 0.95);
      const vC = verdict(bc, pr?.bc ?? NaN, 3);
      goal += `: b/a ${vA}, b/c ${vC}`;
      verdicts.push(`QoS 0 b/a ≥ 0.95: ${vA}; b/c ≥ 3: ${vC}`);
    } else if (cell.id === 'qos1') {
      const v = verdict(ba, pr?.ba ?? NaN, 0.9);
      goal += `: ${v}`;
      verdicts.push(`QoS 1 b/a ≥ 0.9: ${v}`);
    }
    lines.push(
      `| ${cell.label} | ${v('aedes')} | ${v('gatehouse')} | ${v('mosquitto')} | ${v('mosquitto-norules')} | ` +
        `${fmtRatio3(ba)} (paired ${fmtRatio3(pr?.ba ?? NaN)}) | ${fmtRatio3(bc)} (paired ${fmtRatio3(pr?.bc ?? NaN)}) | ${goal} |`,
    );
  }
  lines.push('');
  lines.push(
    'b/a and b/c are ratios of the medians; "paired" is the median of the ratios of runs measured back to back ' +
      '(the brokers take turns, so background load affects both members of a pair alike). A goal is met when both reach it.',
  );
  lines.push('');
  lines.push(`Goals: ${verdicts.join('; ')}.`);
  if (s[CELLS[0].id]['gatehouse-baseline']) {
    lines.push('');
    lines.push(
      `Before/after: (b0) is ${BROKER_LABEL['gatehouse-baseline']}; (b) is ${BROKER_LABEL.gatehouse}; ` +
        'measured in the same run, taking turns.',
    );
    lines.push('');
    lines.push('| traffic | (b0) baseline | (b) this checkout | b/b0 | b/b0 paired (per rep) |');
    lines.push('|---|---:|---:|---:|---|');
    for (const cell of CELLS) {
      const c = s[cell.id];
      const pr = s.paired?.[cell.id];
      const b0 = c['gatehouse-baseline']?.median ?? NaN;
      const b = c.gatehouse?.median ?? NaN;
      lines.push(
        `| ${cell.label} | ${fmtInt(b0)} | ${fmtInt(b)} | ${fmtRatio3(b / b0)} | ${fmtRatio3(pr?.bb0 ?? NaN)} (${(pr?.bb0PerRep ?? []).join(', ')}) |`,
      );
    }
  }
  for (const [k, why] of Object.entries(skipped)) lines.push(`\n${k} skipped: ${why}`);
  const profileKeys = Object.keys(profiles).filter((k) => k.startsWith('gatehouse-'));
  if (profileKeys.length > 0) {
    lines.push('');
    lines.push('Gateway CPU profile (`--cpu-prof`, self time, % of busy time, top entries):');
    lines.push('');
    for (const k of profileKeys) {
      const p = profiles[k];
      lines.push(
        `- ${k}: ${p.byOrigin
          .slice(0, 6)
          .map((e) => `${e.name} ${e.selfPct} %`)
          .join(', ')}; functions: ${p.byFunction
          .slice(0, 5)
          .map((e) => `\`${e.name}\` ${e.selfPct} %`)
          .join(', ')}`,
      );
    }
  }
  return lines.join('\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
