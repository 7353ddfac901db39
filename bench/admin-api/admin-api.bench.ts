/**
 * Admin API (issue 5, scenario 5): autocannon (its own process) against admin-api (dist/, own process)
 * with 100,000 users in PostgreSQL (a fresh `gatehouse_bench_*` database, users inserted with SQL):
 *   - authenticated `GET /api/users/{id}` (ids cycled over all 100,000 users);
 *   - authenticated `GET /api/users?limit=50`;
 *   - authenticated `POST /api/authorization/check` (usernames cycled);
 * and, in the same run, a bare Nest app (same platform, no auth, a fixed user-shaped JSON answer) as the
 * framework's ceiling. The bearer token is the initial admin's. Runs are interleaved.
 *
 *   npm run bench:admin-api                 full run (≈ 3 min): bench/results/admin-api.json + README table
 *   npm run bench:admin-api -- --quick      smoke run (10,000 users, 2 s per endpoint)
 *   … -- --cpu-prof                         profiles admin-api during an extra GET /api/users/{id} run
 */
import path from 'node:path';
import {
  CPU_PROF,
  QUICK,
  ROOT,
  fmtInt,
  fmtMs,
  fmtRatio,
  freePort,
  loadAverage,
  log,
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
  Rest,
  createBenchDatabase,
  startAdminApi,
  stopGatehouse,
} from '../lib/gatehouse';
import { type Spawned, beginRun, forkTs, profileStart, profileStop, request, stop } from '../lib/processes';
import { type ProfileSummary, printProfile, summarizeProfile } from '../lib/profile';
import { seedUsers } from '../lib/seed';

const NAME = 'admin-api';
const USERS = QUICK ? 10_000 : 100_000;
const DURATION_S = QUICK ? 2 : 10;
const WARMUP_S = QUICK ? 1 : 3;
const REPS = QUICK ? 1 : 2;
const CONNECTIONS = 10;
const GOAL_RATIO = 0.4;

interface Result {
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, { count: number }>;
}

interface Target {
  id: 'ceiling' | 'user' | 'list' | 'check';
  label: string;
  url: string;
  method: 'GET' | 'POST';
  paths: string[];
  bodies?: string[];
  token?: string;
}

async function main(): Promise<void> {
  const { startedAt, t0, m, loadBefore } = beginRun(NAME);

  let db: BenchDatabase | undefined;
  let admin: AdminApiProcess | undefined;
  let bare: Spawned | undefined;
  const cannon = forkTs(path.join(ROOT, 'bench', 'admin-api', 'autocannon-worker.ts'), [], {
    label: 'autocannon',
  });
  await new Promise((r) => cannon.child.once('message', r));
  const runs: { target: Target['id']; rep: number; result: Result }[] = [];
  const profiles: Record<string, ProfileSummary> = {};
  const fire = (t: Target, durationS: number): Promise<Result> =>
    request(
      cannon.child,
      {
        type: 'run',
        url: t.url,
        method: t.method,
        paths: t.paths,
        bodies: t.bodies,
        token: t.token,
        connections: CONNECTIONS,
        durationS,
      },
      (x): x is Result & { type: string } => (x as { type?: string })?.type === 'result',
      (durationS + 60) * 1000,
    );
  let seedInfo: { insertMs: number } = { insertMs: NaN };
  try {
    db = await createBenchDatabase(NAME);
    admin = await startAdminApi(db, NAME);
    const seeded = await seedUsers(db, {
      count: USERS,
      prefix: 'user-',
      permissionsPerUser: 2,
      minimumAccessRole: true,
    });
    seedInfo = seeded;
    log(
      NAME,
      `seeded ${fmtInt(USERS)} users (2 permissions and the minimum-access role each) in ${seedInfo.insertMs} ms`,
    );
    const ids = seeded.users.map((u) => u.id);
    const rest = await Rest.login(admin.httpUrl);
    const port = await freePort();
    bare = forkTs(path.join(ROOT, 'bench', 'admin-api', 'bare-nest.ts'), [String(port)], {
      label: 'bare-nest',
      echo: false,
      nodeArgs: ['--disable-warning=ExperimentalWarning'],
    });
    await bare.waitFor(/bare nest listening/, 60_000);

    const shuffled = shuffle(ids, 42).slice(0, 20_000);
    const names = shuffle(
      Array.from({ length: USERS }, (_, i) => i),
      7,
    ).slice(0, 20_000);
    const targets: Target[] = [
      {
        id: 'ceiling',
        label: 'bare Nest `GET /api/ping` (no auth): ceiling',
        url: `http://127.0.0.1:${port}`,
        method: 'GET',
        paths: ['/api/ping'],
      },
      {
        id: 'user',
        label: '`GET /api/users/{id}`',
        url: admin.httpUrl,
        method: 'GET',
        paths: shuffled.map((id) => `/api/users/${id}`),
        token: rest.token,
      },
      {
        id: 'list',
        label: '`GET /api/users?limit=50`',
        url: admin.httpUrl,
        method: 'GET',
        paths: ['/api/users?limit=50'],
        token: rest.token,
      },
      {
        id: 'check',
        label: '`POST /api/authorization/check`',
        url: admin.httpUrl,
        method: 'POST',
        paths: ['/api/authorization/check'],
        bodies: names.map((i) =>
          JSON.stringify({
            username: `user-${i}`,
            context: 'mqtt',
            resource: `devices/user-${i}/telemetry`,
            operation: 'write',
          }),
        ),
        token: rest.token,
      },
    ];
    for (const t of targets) {
      const w = await fire(t, WARMUP_S);
      if (w.non2xx > 0 || w.errors > 0)
        throw new Error(
          `${t.id}: ${w.non2xx} non-2xx, ${w.errors} errors in the warm-up: ${JSON.stringify(w.statusCodes)}`,
        );
    }
    for (let rep = 1; rep <= REPS; rep++) {
      for (const t of targets) {
        const result = await fire(t, DURATION_S);
        runs.push({ target: t.id, rep, result });
        log(
          NAME,
          `${t.id.padEnd(8)} #${rep}: ${fmtInt(result.requestsPerSecond)} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
        );
      }
    }
    if (CPU_PROF) {
      await profileStart(admin.child);
      const r = await fire(targets[1], DURATION_S);
      profiles['admin-api-user'] = summarizeProfile(await profileStop(admin.child, `${NAME}-user`));
      log(NAME, `profiled GET /api/users/{id}: ${fmtInt(r.requestsPerSecond)} req/s under the profiler`);
      printProfile(profiles['admin-api-user']);
    }
  } finally {
    if (cannon.child.connected) cannon.child.send({ type: 'exit' });
    await stop(cannon.child, 3_000);
    await stop(bare?.child);
    await stopGatehouse({ admin, db });
  }

  const durationS = Number(nowNs() - t0) / 1e9;
  const ids: Target['id'][] = ['ceiling', 'user', 'list', 'check'];
  const labels: Record<Target['id'], string> = {
    ceiling: 'bare Nest `GET /api/ping`, no auth (ceiling)',
    user: 'authenticated `GET /api/users/{id}`',
    list: 'authenticated `GET /api/users?limit=50`',
    check: 'authenticated `POST /api/authorization/check`',
  };
  const summary = Object.fromEntries(
    ids.map((id) => {
      const rs = runs.filter((r) => r.target === id).map((r) => r.result);
      return [
        id,
        {
          requestsPerSecond: round(median(rs.map((r) => r.requestsPerSecond))),
          p50Ms: median(rs.map((r) => r.latencyMs.p50)),
          p99Ms: median(rs.map((r) => r.latencyMs.p99)),
          samples: rs.map((r) => r.requestsPerSecond),
          non2xx: rs.reduce((s, r) => s + r.non2xx, 0),
          errors: rs.reduce((s, r) => s + r.errors + r.timeouts, 0),
        },
      ];
    }),
  ) as Record<
    Target['id'],
    {
      requestsPerSecond: number;
      p50Ms: number;
      p99Ms: number;
      samples: number[];
      non2xx: number;
      errors: number;
    }
  >;
  const ratio = summary.user.requestsPerSecond / summary.ceiling.requestsPerSecond;
  const command = `npm run bench:${NAME}${QUICK ? ' -- --quick' : ''}${CPU_PROF ? ' -- --cpu-prof' : ''}`;
  const lines = [
    measuredLine(m, startedAt, durationS, command),
    '',
    `${fmtInt(USERS)} users in PostgreSQL (inserted with SQL; 2 direct permissions and the minimum-access role each). autocannon, ${CONNECTIONS} connections, ` +
      `${DURATION_S} s per run, median of ${REPS} interleaved run${REPS > 1 ? 's' : ''} after a ${WARMUP_S} s warm-up; bearer token of the initial admin. ` +
      "admin-api and the bare Nest app each run in their own process; ratio = req/s ÷ the ceiling's.",
    '',
    '| endpoint | req/s | p50 | p99 | ratio to ceiling | non-2xx / errors |',
    '|---|---:|---:|---:|---:|---:|',
    ...ids.map((id) => {
      const s = summary[id];
      return `| ${labels[id]} | ${fmtInt(s.requestsPerSecond)} | ${fmtMs(s.p50Ms)} | ${fmtMs(s.p99Ms)} | ${fmtRatio(s.requestsPerSecond / summary.ceiling.requestsPerSecond)} | ${s.non2xx} / ${s.errors} |`;
    }),
    '',
    `Goal: authenticated \`GET /api/users/{id}\` ≥ ${GOAL_RATIO * 100} % of the ceiling: ${ratio >= GOAL_RATIO ? 'met' : '**missed**'} (${round(ratio * 100)} %).`,
  ];
  if (profiles['admin-api-user']) {
    const p = profiles['admin-api-user'];
    lines.push(
      '',
      `admin-api CPU profile during \`GET /api/users/{id}\` (self time, % of busy): ${p.byOrigin
        .slice(0, 8)
        .map((e) => `${e.name} ${e.selfPct} %`)
        .join(', ')}.`,
    );
  }
  const table = lines.join('\n');
  const file = writeResults(NAME, {
    benchmark: NAME,
    scenario: 'issue 5, scenario 5: admin API under autocannon, 100,000 users in PostgreSQL',
    command,
    startedAt,
    durationSeconds: round(durationS),
    machine: m,
    conditions: { loadAverageBefore: loadBefore, loadAverageAfter: loadAverage() },
    parameters: {
      quick: QUICK,
      users: USERS,
      seedInsertMs: seedInfo.insertMs,
      connections: CONNECTIONS,
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      reps: REPS,
      autocannon: packageVersion('autocannon'),
    },
    goals: { userByIdOverCeiling: GOAL_RATIO },
    summary,
    profiles,
    raw: runs,
  });
  log(NAME, `wrote ${file}`);
  console.log(`\n${table}\n`);
  await updateReadme(NAME, 'Admin API (issue 5, scenario 5)', table);
}

function shuffle<T>(xs: T[], seed: number): T[] {
  const a = [...xs];
  let s = seed >>> 0;
  for (let i = a.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
