/**
 * Revocation latency (issue 5, scenario 4): a subscriber receives a steady stream (one QoS 0 message per
 * millisecond); the admin removes the subscriber's read permission with `PATCH /api/users/{id}`; the
 * latency is from the admin API's response to the last delivery the subscriber receives. Then the
 * permission is granted again, the subscriber re-subscribes and waits for the stream, and the next trial
 * starts. Negative values: deliveries had already stopped when the HTTP response arrived.
 *
 * Two variants, one after the other:
 *   - one gateway on the default loopback TCP transport;
 *   - two gateways and admin-api on NATS (`BENCH_NATS_URL`, default nats://127.0.0.1:4222; skipped with a
 *     message when NATS does not answer): the same user subscribes on both gateways, each with its own
 *     publisher on the same gateway (broker state is per gateway); a trial's latency is the later of the
 *     two, i.e. until the revocation has taken effect everywhere.
 *
 *   npm run bench:revocation                 full run (100 trials per variant, ≈ 4 min): bench/results/revocation.json + README table
 *   npm run bench:revocation -- --quick      smoke run (10 trials per variant)
 *   … -- --cpu-prof                          also profiles admin-api and the gateway during the trials
 */
import net from 'node:net';
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
const NATS_URL = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';

interface Trial {
  trial: number;
  /** PATCH sent → response read, ms. */
  requestMs: number;
  /** Response → last delivery on any gateway, ms (the figure). */
  latencyMs: number;
  /** Response → last delivery, per gateway, ms. */
  perGatewayMs: number[];
  /** PATCH sent → last delivery, ms. */
  fromRequestMs: number;
  /** Deliveries after the response, all gateways. */
  afterResponse: number;
  stopped: boolean;
}

interface Variant {
  id: 'single' | 'nats-two-gateways';
  label: string;
  gateways: number;
  transport: string;
  /** why the variant did not run */
  skipped?: string;
  trials: Trial[];
}

/** Whether something accepts TCP connections at the host and port of `url`. */
function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 4222) });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function runVariant(v: Variant, profiles: Record<string, ProfileSummary>): Promise<void> {
  let db: BenchDatabase | undefined;
  let admin: AdminApiProcess | undefined;
  const gateways: GatewayProcess[] = [];
  const pubs: LoadWorker[] = [];
  const subs: LoadWorker[] = [];
  try {
    for (let g = 0; g < v.gateways; g++) {
      pubs.push(await LoadWorker.start(`publisher-${g}`));
      subs.push(await LoadWorker.start(`subscriber-${g}`));
    }
    db = await createBenchDatabase(NAME);
    admin = await startAdminApi(
      db,
      NAME,
      v.transport.startsWith('nats:') ? { TRANSPORT_URL: v.transport } : {},
    );
    for (let g = 0; g < v.gateways; g++) gateways.push(await startGateway(admin, `${NAME}-${g}`));
    const rest = await Rest.login(admin.httpUrl);
    const granted = permissions(RULES, [GRANT]);
    const revoked = granted.filter((p) => p !== GRANT);
    const subscriber = await rest.createUser('bench-subscriber', 'Bench-subscriber-1-x9Q7zK', granted);
    await rest.createUser('bench-publisher', 'Bench-publisher-1-x9Q7zK', [
      { context: 'mqtt', resource: 'bench/revocation/#', operation: 'write' },
    ]);
    let version = subscriber.version;
    for (let g = 0; g < v.gateways; g++) {
      await pubs[g].connect(
        gateways[g].mqttUrl,
        [{ username: 'bench-publisher', password: 'Bench-publisher-1-x9Q7zK', clientId: `rev-pub-${g}` }],
        1,
      );
      await subs[g].connect(
        gateways[g].mqttUrl,
        [{ username: 'bench-subscriber', password: 'Bench-subscriber-1-x9Q7zK', clientId: `rev-sub-${g}` }],
        1,
      );
      await pubs[g].cmd(
        { type: 'stream', topic: TOPIC, qos: 0, intervalMs: STREAM_INTERVAL_MS },
        'streaming',
      );
    }
    const patch = async (rules: Permission[]): Promise<void> => {
      version = (
        await rest.call<{ version: number }>('PATCH', `/api/users/${subscriber.id}`, {
          permissions: rules,
          version,
        })
      ).version;
    };

    if (CPU_PROF) {
      await profileStart(admin.child);
      for (const gw of gateways) await profileStart(gw.child);
    }
    for (let trial = 0; trial <= TRIALS; trial++) {
      // Subscribed and receiving on every gateway (trial 0 is a warm-up, not recorded).
      const deadline = Date.now() + GIVE_UP_MS;
      for (const sub of subs) {
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
      }
      await sleep(50);

      // Revoke, and time it from the response.
      const sentMs = Number(process.hrtime.bigint()) / 1e6;
      await patch(revoked);
      const responseMs = Number(process.hrtime.bigint()) / 1e6;
      const atResponse = await Promise.all(subs.map(async (sub) => (await sub.collect())[0]));
      let last = atResponse;
      let stopped = false;
      for (;;) {
        await sleep(25);
        last = await Promise.all(subs.map(async (sub) => (await sub.collect())[0]));
        const t = Number(process.hrtime.bigint()) / 1e6;
        if (t - responseMs >= SILENCE_MS && last.every((c) => t - c.lastMs >= SILENCE_MS)) {
          stopped = true;
          break;
        }
        if (t - responseMs > GIVE_UP_MS) break;
      }
      if (trial > 0) {
        const perGatewayMs = last.map((c) => round(c.lastMs - responseMs, 3));
        const lastMs = Math.max(...last.map((c) => c.lastMs));
        const tr: Trial = {
          trial,
          requestMs: round(responseMs - sentMs, 3),
          latencyMs: round(lastMs - responseMs, 3),
          perGatewayMs,
          fromRequestMs: round(lastMs - sentMs, 3),
          afterResponse: last.reduce((n, c, g) => n + c.count - atResponse[g].count, 0),
          stopped,
        };
        v.trials.push(tr);
        if (trial % 10 === 0 || QUICK)
          log(
            NAME,
            `${v.label}, trial ${trial}: response → last delivery ${fmtMs(tr.latencyMs)} (PATCH took ${fmtMs(tr.requestMs)})`,
          );
      }
      await patch(granted); // grant again
    }
    if (CPU_PROF) {
      const procs: [string, AdminApiProcess | GatewayProcess][] = [
        ['admin-api', admin],
        ...gateways.map((gw, g): [string, GatewayProcess] => [`gateway-${g}`, gw]),
      ];
      for (const [label, proc] of procs) {
        profiles[`${v.id}-${label}`] = summarizeProfile(
          await profileStop(proc.child, `${NAME}-${v.id}-${label}`),
        );
        printProfile(profiles[`${v.id}-${label}`]);
      }
    }
    for (const pub of pubs) await pub.cmd({ type: 'stream-stop' }, 'stream-stopped');
  } finally {
    for (const w of [...pubs, ...subs]) await w.exit();
    for (const gw of gateways.slice(1)) await stopGatehouse({ gateway: gw });
    await stopGatehouse({ gateway: gateways[0], admin, db });
  }
}

function summarize(trials: Trial[]) {
  const lat = trials.map((t) => t.latencyMs);
  const pick = (f: (t: Trial) => number, p: number): number => percentile(trials.map(f), p);
  return {
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
    fromRequestMs: { p50: pick((t) => t.fromRequestMs, 50), p99: pick((t) => t.fromRequestMs, 99) },
    patchMs: { p50: pick((t) => t.requestMs, 50), p99: pick((t) => t.requestMs, 99) },
    deliveriesAfterResponse: {
      p50: pick((t) => t.afterResponse, 50),
      max: Math.max(...trials.map((t) => t.afterResponse)),
    },
    negative: trials.filter((t) => t.latencyMs < 0).length,
  };
}

async function main(): Promise<void> {
  const { startedAt, t0, m, loadBefore } = beginRun(NAME);
  const profiles: Record<string, ProfileSummary> = {};
  const variants: Variant[] = [
    {
      id: 'single',
      label: 'one gateway, TCP transport',
      gateways: 1,
      transport: 'tcp (loopback)',
      trials: [],
    },
    {
      id: 'nats-two-gateways',
      label: 'two gateways, NATS transport',
      gateways: 2,
      transport: NATS_URL,
      trials: [],
    },
  ];
  for (const v of variants) {
    if (v.transport.startsWith('nats:') && !(await reachable(v.transport))) {
      v.skipped = `NATS does not answer at ${v.transport} (set BENCH_NATS_URL)`;
      log(NAME, `${v.label}: skipped, ${v.skipped}`);
      continue;
    }
    log(NAME, `${v.label}: ${TRIALS} trials …`);
    await runVariant(v, profiles);
  }

  const durationS = Number(nowNs() - t0) / 1e9;
  const ran = variants.filter((v) => !v.skipped);
  const summaries = Object.fromEntries(ran.map((v) => [v.id, summarize(v.trials)]));
  const verdict = (v: Variant): string => {
    const s = summaries[v.id];
    const ok = s.latencyMs.p99 <= GOAL_P99_MS && s.notStopped === 0;
    return `${v.label} ${ok ? 'met' : `**missed**`} (p99 ${fmtMs(s.latencyMs.p99)})`;
  };
  const command = `npm run bench:${NAME}${QUICK ? ' -- --quick' : ''}${CPU_PROF ? ' -- --cpu-prof' : ''}`;
  const lines = [
    measuredLine(m, startedAt, durationS, command),
    '',
    `${TRIALS} trials per variant; the subscriber holds ${RULES.toLocaleString('en-US')} permissions and loses the one that covers its subscription ` +
      `(\`PATCH /api/users/{id}\` with the other ${(RULES - 1).toLocaleString('en-US')}); the stream is one QoS 0 message every ${STREAM_INTERVAL_MS} ms per gateway. ` +
      'With two gateways the same user subscribes on both (a publisher on each: broker state is per gateway) and a trial ends when the later of the two streams stops.',
    '',
    '| variant | measure | p50 | p90 | p99 | max |',
    '|---|---|---:|---:|---:|---:|',
    ...ran.flatMap((v) => {
      const s = summaries[v.id];
      return [
        `| ${v.label} | admin API response → last delivery | ${fmtMs(s.latencyMs.p50)} | ${fmtMs(s.latencyMs.p90)} | ${fmtMs(s.latencyMs.p99)} | ${fmtMs(s.latencyMs.max)} |`,
        `| ${v.label} | PATCH sent → last delivery | ${fmtMs(s.fromRequestMs.p50)} | | ${fmtMs(s.fromRequestMs.p99)} | |`,
        `| ${v.label} | PATCH round trip | ${fmtMs(s.patchMs.p50)} | | ${fmtMs(s.patchMs.p99)} | |`,
      ];
    }),
    '',
    ...ran.map((v) => {
      const s = summaries[v.id];
      return (
        `${v.label}: deliveries after the response median ${s.deliveriesAfterResponse.p50}, at most ${s.deliveriesAfterResponse.max}; ` +
        `${s.negative} of ${s.trials} trials had no delivery after the response (negative latency); ` +
        `${s.notStopped} trials where the stream did not stop within ${GIVE_UP_MS / 1000} s.`
      );
    }),
    ...variants.filter((v) => v.skipped).map((v) => `${v.label}: not run: ${v.skipped}.`),
    '',
    `Goal: p99 ≤ ${GOAL_P99_MS} ms: ${ran.map(verdict).join('; ')}.`,
  ];
  const table = lines.join('\n');
  const file = writeResults(
    NAME,
    {
      benchmark: NAME,
      scenario: 'issue 5, scenario 4: revocation latency, one gateway node and two gateways on NATS',
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
          'process.hrtime (CLOCK_MONOTONIC) in the bench process (HTTP) and the subscriber processes (deliveries)',
        processes:
          'admin-api and gateways from dist/ in their own processes, PostgreSQL, publishers and subscribers in separate processes',
        variants: variants.map(({ id, label, gateways, transport, skipped }) => ({
          id,
          label,
          gateways,
          transport,
          skipped,
        })),
      },
      goals: { p99Ms: GOAL_P99_MS },
      summary: summaries,
      profiles,
      raw: Object.fromEntries(ran.map((v) => [v.id, v.trials])),
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
