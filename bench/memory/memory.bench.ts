/**
 * Memory (issue 5, scenario 6): resident set size and V8 heap of the gateway holding 10,000 idle
 * connected clients (10 clients for each of 1,000 users with 10 permissions each), per client; and of
 * bare aedes holding the same clients, as the baseline. Heap figures are after a full GC (--expose-gc).
 *
 *   npm run bench:memory                 full run (≈ 2 min): bench/results/memory.json + README table
 *   npm run bench:memory -- --quick      smoke run (1,000 clients of 100 users)
 *   … -- --clients=N                     another client count (a multiple of the user count)
 */
import {
  QUICK,
  arg,
  fmtInt,
  loadAverage,
  log,
  measuredLine,
  nowNs,
  round,
  sleep,
  updateReadme,
  writeResults,
} from '../lib/common';
import {
  type AdminApiProcess,
  type BenchDatabase,
  type GatewayProcess,
  createBenchDatabase,
  startAdminApi,
  startGateway,
  stopGatehouse,
} from '../lib/gatehouse';
import { type Cred, LoadWorker } from '../lib/load';
import { type Spawned, beginRun, memoryOf, rssOf, startBareAedes, stop } from '../lib/processes';
import { SEED_PASSWORD, seedUsers } from '../lib/seed';

const NAME = 'memory';
const USERS = QUICK ? 100 : 1_000;
const CLIENTS = Number(arg('clients') ?? (QUICK ? 1_000 : 10_000));
const WORKERS = 4;
const PERMISSIONS_PER_USER = 10;
const SETTLE_MS = QUICK ? 1_000 : 5_000;
const MiB = 2 ** 20;

interface Sample {
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
}
interface Row {
  broker: string;
  clients: number;
  idle: Sample;
  loaded: Sample;
  rssPerClientKiB: number;
  heapPerClientKiB: number;
  connectSeconds: number;
}

async function sample(p: Spawned): Promise<Sample> {
  const u = await memoryOf(p.child, true);
  await sleep(200);
  return {
    rssMiB: round(rssOf(p.child.pid) / MiB, 1),
    heapUsedMiB: round(u.heapUsed / MiB, 1),
    externalMiB: round((u.external + u.arrayBuffers) / MiB, 1),
  };
}

function allCreds(tag: string): Cred[] {
  const perUser = Math.ceil(CLIENTS / USERS);
  const out: Cred[] = [];
  for (let k = 0; k < perUser && out.length < CLIENTS; k++) {
    for (let u = 0; u < USERS && out.length < CLIENTS; u++)
      out.push({ username: `mem-${u}`, password: SEED_PASSWORD, clientId: `${tag}-${u}-${k}` });
  }
  return out;
}

/** Connects `creds` spread over the workers; the first USERS clients (one per user) go first, few at a time (argon2). */
async function connectAll(workers: LoadWorker[], url: string, creds: Cred[]): Promise<number> {
  const t = Date.now();
  const first = creds.slice(0, USERS);
  const rest = creds.slice(USERS);
  const split = (list: Cred[]): Cred[][] =>
    workers.map((_, i) => list.filter((_c, j) => j % workers.length === i));
  await Promise.all(
    split(first).map((part, i) => (part.length ? workers[i].connect(url, part, 2) : Promise.resolve())),
  );
  await Promise.all(
    split(rest).map((part, i) => (part.length ? workers[i].connect(url, part, 50) : Promise.resolve())),
  );
  return round((Date.now() - t) / 1000, 1);
}

async function measure(
  label: string,
  p: Spawned,
  url: string,
  workers: LoadWorker[],
  tag: string,
): Promise<Row> {
  // Warm up the code paths with a few clients, then the idle figure.
  await workers[0].connect(url, allCreds(`${tag}-warm`).slice(0, 10), 2);
  await workers[0].disconnect();
  await sleep(SETTLE_MS);
  const idle = await sample(p);
  const connectSeconds = await connectAll(workers, url, allCreds(tag));
  await sleep(SETTLE_MS);
  const loaded = await sample(p);
  const row: Row = {
    broker: label,
    clients: CLIENTS,
    idle,
    loaded,
    rssPerClientKiB: round(((loaded.rssMiB - idle.rssMiB) * 1024) / CLIENTS, 1),
    heapPerClientKiB: round(((loaded.heapUsedMiB - idle.heapUsedMiB) * 1024) / CLIENTS, 1),
    connectSeconds,
  };
  log(
    NAME,
    `${label}: RSS ${idle.rssMiB} → ${loaded.rssMiB} MiB, heap ${idle.heapUsedMiB} → ${loaded.heapUsedMiB} MiB; ${row.rssPerClientKiB} KiB RSS per client`,
  );
  for (const w of workers) await w.disconnect();
  return row;
}

async function main(): Promise<void> {
  const { startedAt, t0, m, loadBefore } = beginRun(
    NAME,
    (mm) =>
      `${QUICK ? 'quick run' : 'full run'}: ${fmtInt(CLIENTS)} clients of ${fmtInt(USERS)} users; ${mm.cpuModel}, ${mm.cores} cores, Node ${mm.node}`,
  );
  const rows: Row[] = [];
  const workers = await Promise.all(
    Array.from({ length: WORKERS }, (_, i) => LoadWorker.start(`clients-${i}`)),
  );
  let db: BenchDatabase | undefined;
  let admin: AdminApiProcess | undefined;
  let gateway: GatewayProcess | undefined;
  try {
    // (b) Gatehouse
    db = await createBenchDatabase(NAME);
    admin = await startAdminApi(db, NAME);
    await seedUsers(db, { count: USERS, prefix: 'mem-', permissionsPerUser: PERMISSIONS_PER_USER });
    gateway = await startGateway(admin, NAME, { MQTT_AUTH_CACHE_TTL_SECONDS: '600' }, ['--expose-gc']);
    rows.push(await measure('Gatehouse gateway', gateway, gateway.mqttUrl, workers, 'gh'));
    await stopGatehouse({ gateway, admin, db });
    gateway = undefined;
    admin = undefined;
    db = undefined;

    // (a) bare aedes, same clients (no authentication)
    const aedes = await startBareAedes({ nodeArgs: ['--expose-gc'] });
    try {
      rows.push(await measure('bare aedes', aedes.proc, aedes.url, workers, 'ae'));
    } finally {
      await stop(aedes.proc.child);
    }
  } finally {
    for (const w of workers) await w.exit();
    await stopGatehouse({ gateway, admin, db });
  }

  const durationS = Number(nowNs() - t0) / 1e9;
  const command = `npm run bench:${NAME}${QUICK ? ' -- --quick' : ''}`;
  const gh = rows.find((r) => r.broker.startsWith('Gatehouse'));
  const ae = rows.find((r) => r.broker === 'bare aedes');
  const lines = [
    measuredLine(m, startedAt, durationS, command),
    '',
    `${fmtInt(CLIENTS)} idle clients (MQTT 3.1.1, clean session, keep-alive 600 s, no subscriptions), ${fmtInt(Math.ceil(CLIENTS / USERS))} per user, ` +
      `${fmtInt(USERS)} users with ${PERMISSIONS_PER_USER} permissions each; the clients run in ${WORKERS} separate processes. ` +
      'RSS from /proc; heap after two full GCs (`--expose-gc`).',
    '',
    '| process | RSS idle | RSS with clients | RSS per client | heap idle | heap with clients | heap per client | time to connect all |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.broker} | ${r.idle.rssMiB} MiB | ${r.loaded.rssMiB} MiB | ${r.rssPerClientKiB} KiB | ${r.idle.heapUsedMiB} MiB | ${r.loaded.heapUsedMiB} MiB | ${r.heapPerClientKiB} KiB | ${r.connectSeconds} s |`,
    ),
    '',
    gh && ae
      ? `The gateway costs ${round(gh.rssPerClientKiB - ae.rssPerClientKiB, 1)} KiB RSS (${round(gh.heapPerClientKiB - ae.heapPerClientKiB, 1)} KiB heap) per client more than bare aedes (its session, compiled permissions and verification cache entries). No goal is set for this scenario.`
      : '',
  ];
  const table = lines.join('\n');
  const file = writeResults(NAME, {
    benchmark: NAME,
    scenario: 'issue 5, scenario 6: gateway memory with idle connected clients',
    command,
    startedAt,
    durationSeconds: round(durationS),
    machine: m,
    conditions: { loadAverageBefore: loadBefore, loadAverageAfter: loadAverage() },
    parameters: {
      quick: QUICK,
      clients: CLIENTS,
      users: USERS,
      permissionsPerUser: PERMISSIONS_PER_USER,
      workers: WORKERS,
      settleMs: SETTLE_MS,
      gatewayEnv: { MQTT_AUTH_CACHE_TTL_SECONDS: '600' },
    },
    summary: rows,
  });
  log(NAME, `wrote ${file}`);
  console.log(`\n${table}\n`);
  await updateReadme(NAME, 'Memory (issue 5, scenario 6)', table);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
