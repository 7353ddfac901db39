/**
 * Revocation latency (issue 5, scenario 4), one gateway node: a subscriber receives a steady stream
 * (one QoS 0 message per millisecond); the admin removes the subscriber's read permission with
 * `PATCH /api/users/{id}`; the latency is from the admin API's response to the last delivery the
 * subscriber receives. Then the permission is granted again, the subscriber re-subscribes and waits for
 * the stream, and the next trial starts. Negative values: deliveries had already stopped when the HTTP
 * response arrived.
 *
 *   npm run bench:revocation                 full run (100 trials, ≈ 2 min): bench/results/revocation.json + README table
 *   npm run bench:revocation -- --quick      smoke run (10 trials)
 *   … -- --cpu-prof                          also profiles admin-api and the gateway during the trials
 */
import {
  CPU_PROF,
  QUICK,
  fmtMs,
  loadAverage,
  log,
  measuredLine,
  median,
  nowNs,
  percentile,
  round,
  sleep,
  updateReadme,
  writeResults,
} from '../lib/common';
import {
  type AdminApiProcess,
  type BenchDatabase,
  type GatewayProcess,
  type Permission,
  Rest,
  createBenchDatabase,
  startAdminApi,
  startGateway,
  stopGatehouse,
} from '../lib/gatehouse';
import { LoadWorker } from '../lib/load';
import { beginRun, profileStart, profileStop } from '../lib/processes';
import { type ProfileSummary, printProfile, summarizeProfile } from '../lib/profile';
import { permissions } from '../lib/rules';

const NAME = 'revocation';
const TRIALS = QUICK ? 10 : 100;
const RULES = 1_000;
const TOPIC = 'bench/revocation/data';
const STREAM_INTERVAL_MS = 1;
const SILENCE_MS = 500; // no delivery for this long after the response: the stream has stopped
const GIVE_UP_MS = 10_000;
const GOAL_P99_MS = 100;
const GRANT: Permission = { context: 'mqtt', resource: 'bench/revocation/#', operation: 'read' };

interface Trial {
  trial: number;
  /** PATCH sent → response read, ms. */
  requestMs: number;
  /** Response → last delivery, ms (the figure). */
  latencyMs: number;
  /** PATCH sent → last delivery, ms. */
  fromRequestMs: number;
  /** Deliveries after the response. */
  afterResponse: number;
  stopped: boolean;
}

async function main(): Promise<void> {
  const { startedAt, t0, m, loadBefore } = beginRun(NAME);

  let db: BenchDatabase | undefined;
  let admin: AdminApiProcess | undefined;
  let gateway: GatewayProcess | undefined;
  const trials: Trial[] = [];
  const profiles: Record<string, ProfileSummary> = {};
  const pub = await LoadWorker.start('publisher');
  const sub = await LoadWorker.start('subscriber');
  try {
    db = await createBenchDatabase(NAME);
    admin = await startAdminApi(db, NAME);
    gateway = await startGateway(admin, NAME);
    const rest = await Rest.login(admin.httpUrl);
    const granted = permissions(RULES, [GRANT]);
    const revoked = granted.filter((p) => p !== GRANT);
    const subscriber = await rest.createUser('bench-subscriber', 'Bench-subscriber-1', granted);
    await rest.createUser('bench-publisher', 'Bench-publisher-1', [
      { context: 'mqtt', resource: 'bench/revocation/#', operation: 'write' },
    ]);
    let version = subscriber.version;

    await pub.connect(
      gateway.mqttUrl,
      [{ username: 'bench-publisher', password: 'Bench-publisher-1', clientId: 'rev-pub' }],
      1,
    );
    await sub.connect(
      gateway.mqttUrl,
      [{ username: 'bench-subscriber', password: 'Bench-subscriber-1', clientId: 'rev-sub' }],
      1,
    );
    await pub.cmd({ type: 'stream', topic: TOPIC, qos: 0, intervalMs: STREAM_INTERVAL_MS }, 'streaming');

    if (CPU_PROF) {
      await profileStart(admin.child);
      await profileStart(gateway.child);
    }
    for (let trial = 0; trial <= TRIALS; trial++) {
      // Subscribed and receiving (trial 0 is a warm-up, not recorded).
      const deadline = Date.now() + GIVE_UP_MS;
      for (;;) {
        const g = await sub.subscribe(TOPIC, 0);
        if (g[0] === 0) break;
        if (Date.now() > deadline)
          throw new Error('the subscription is still refused after the permission was granted again');
        await sleep(20);
      }
      const before = (await sub.collect())[0].count;
      while ((await sub.collect())[0].count <= before) {
        if (Date.now() > deadline) throw new Error('no delivery after re-subscribing');
        await sleep(10);
      }
      await sleep(50);

      // Revoke, and time it from the response.
      const sentMs = Number(process.hrtime.bigint()) / 1e6;
      const updated = await rest.call<{ version: number }>('PATCH', `/api/users/${subscriber.id}`, {
        permissions: revoked,
        version,
      });
      const responseMs = Number(process.hrtime.bigint()) / 1e6;
      version = updated.version;
      const atResponse = (await sub.collect())[0];
      let last = atResponse;
      let stopped = false;
      for (;;) {
        await sleep(25);
        const c = (await sub.collect())[0];
        last = c;
        const t = Number(process.hrtime.bigint()) / 1e6;
        if (t - c.lastMs >= SILENCE_MS && t - responseMs >= SILENCE_MS) {
          stopped = true;
          break;
        }
        if (t - responseMs > GIVE_UP_MS) break;
      }
      if (trial > 0) {
        const tr: Trial = {
          trial,
          requestMs: round(responseMs - sentMs, 3),
          latencyMs: round(last.lastMs - responseMs, 3),
          fromRequestMs: round(last.lastMs - sentMs, 3),
          afterResponse: last.count - atResponse.count,
          stopped,
        };
        trials.push(tr);
        if (trial % 10 === 0 || QUICK)
          log(
            NAME,
            `trial ${trial}: response → last delivery ${fmtMs(tr.latencyMs)} (PATCH took ${fmtMs(tr.requestMs)})`,
          );
      }
      // Grant again.
      version = (
        await rest.call<{ version: number }>('PATCH', `/api/users/${subscriber.id}`, {
          permissions: granted,
          version,
        })
      ).version;
    }
    if (CPU_PROF) {
      for (const [label, proc] of [
        ['admin-api', admin],
        ['gateway', gateway],
      ] as const) {
        profiles[label] = summarizeProfile(await profileStop(proc.child, `${NAME}-${label}`));
        printProfile(profiles[label]);
      }
    }
    await pub.cmd({ type: 'stream-stop' }, 'stream-stopped');
  } finally {
    await pub.exit();
    await sub.exit();
    await stopGatehouse({ gateway, admin, db });
  }

  const durationS = Number(nowNs() - t0) / 1e9;
  const lat = trials.map((t) => t.latencyMs);
  const summary = {
    trials: trials.length,
    notStopped: trials.filter((t) => !t.stopped).length,
    latencyMs: {
      p50: percentile(lat, 50),
      p90: percentile(lat, 90),
      p99: percentile(lat, 99),
      max: Math.max(...lat),
      min: Math.min(...lat),
      median: median(lat),
    },
    fromRequestMs: {
      p50: percentile(
        trials.map((t) => t.fromRequestMs),
        50,
      ),
      p99: percentile(
        trials.map((t) => t.fromRequestMs),
        99,
      ),
    },
    patchMs: {
      p50: percentile(
        trials.map((t) => t.requestMs),
        50,
      ),
      p99: percentile(
        trials.map((t) => t.requestMs),
        99,
      ),
    },
    deliveriesAfterResponse: {
      p50: percentile(
        trials.map((t) => t.afterResponse),
        50,
      ),
      max: Math.max(...trials.map((t) => t.afterResponse)),
    },
    negative: trials.filter((t) => t.latencyMs < 0).length,
  };
  const met = summary.latencyMs.p99 <= GOAL_P99_MS && summary.notStopped === 0;
  const command = `npm run bench:${NAME}${QUICK ? ' -- --quick' : ''}${CPU_PROF ? ' -- --cpu-prof' : ''}`;
  const lines = [
    measuredLine(m, startedAt, durationS, command),
    '',
    `${summary.trials} trials, one gateway; the subscriber holds ${RULES.toLocaleString('en-US')} permissions and loses the one that covers its subscription ` +
      `(\`PATCH /api/users/{id}\` with the other ${(RULES - 1).toLocaleString('en-US')}); the stream is one QoS 0 message every ${STREAM_INTERVAL_MS} ms.`,
    '',
    '| measure | p50 | p90 | p99 | max |',
    '|---|---:|---:|---:|---:|',
    `| admin API response → last delivery | ${fmtMs(summary.latencyMs.p50)} | ${fmtMs(summary.latencyMs.p90)} | ${fmtMs(summary.latencyMs.p99)} | ${fmtMs(summary.latencyMs.max)} |`,
    `| PATCH sent → last delivery | ${fmtMs(summary.fromRequestMs.p50)} | | ${fmtMs(summary.fromRequestMs.p99)} | |`,
    `| PATCH round trip | ${fmtMs(summary.patchMs.p50)} | | ${fmtMs(summary.patchMs.p99)} | |`,
    '',
    `Deliveries after the response: median ${summary.deliveriesAfterResponse.p50}, at most ${summary.deliveriesAfterResponse.max}; ` +
      `${summary.negative} of ${summary.trials} trials had no delivery after the response (negative latency); ` +
      `${summary.notStopped} trials where the stream did not stop within ${GIVE_UP_MS / 1000} s.`,
    '',
    `Goal: p99 ≤ ${GOAL_P99_MS} ms: ${met ? 'met' : `**missed** (p99 ${fmtMs(summary.latencyMs.p99)})`}.`,
  ];
  const table = lines.join('\n');
  const file = writeResults(
    NAME,
    {
      benchmark: NAME,
      scenario: 'issue 5, scenario 4: revocation latency on one gateway node',
      command,
      startedAt,
      durationSeconds: round(durationS),
      machine: m,
      conditions: { loadAverageBefore: loadBefore, loadAverageAfter: loadAverage() },
      parameters: {
        quick: QUICK,
        trials: TRIALS,
        rules: RULES,
        topic: TOPIC,
        streamIntervalMs: STREAM_INTERVAL_MS,
        silenceMs: SILENCE_MS,
        revocation: 'PATCH /api/users/{id} {permissions: all but the covering one, version}',
        clock:
          'process.hrtime (CLOCK_MONOTONIC) in the bench process (HTTP) and the subscriber process (deliveries)',
        processes:
          'admin-api and gateway from dist/ in their own processes, PostgreSQL, publisher and subscriber in separate processes',
      },
      goals: { p99Ms: GOAL_P99_MS },
      summary,
      profiles,
      raw: trials,
    },
    CPU_PROF,
  );
  log(NAME, `wrote ${file}`);
  console.log(`\n${table}\n`);
  await updateReadme(NAME, 'Revocation latency (issue 5, scenario 4)', table, CPU_PROF); // profiled runs are slower: kept out of the README
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
