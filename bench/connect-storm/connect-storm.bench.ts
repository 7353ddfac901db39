/**
 * Connect storms (issue 5, scenario 3) against the Gatehouse gateway (dist/, own process, admin-api on
 * PostgreSQL beside it): every client of a phase starts its CONNECT at once (MQTT 3.1.1, username and
 * password); a refused or failed attempt is retried after 1 s, as mqtt.js does by default, until the
 * phase's deadline. Phases:
 *   1. first connect: 1,000 clients, one user each, nothing cached: every password verified (argon2id) by admin-api;
 *   2. reconnect: the same 1,000 clients again, verification cache warm;
 *   3. (full run) reconnect at 10,000 clients: 10 clients per user of the same 1,000 users, cache warm.
 * Figures: CONNACKs per second (accepted clients / (last accepted CONNACK − storm start)) and the time
 * from a client's first attempt to its accepted CONNACK (p50/p99). Between phases 1 and 2, admin-api and
 * the gateway restart and every user connects a few at a time (argon2-bound; warms the cache). Where
 * `POST /api/users/{id}/certificates` exists (client registry), the same users then get client
 * certificates and storm the TLS listener (first connect, reconnect); else that is reported as not run.
 *
 *   npm run bench:connect-storm                 full run (≈ 3 min)
 *   npm run bench:connect-storm -- --quick      smoke run (100 clients, no 10,000 phase)
 *   … -- --cpu-prof                             profiles the gateway (every phase) and admin-api (first connect)
 */
import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs it loaded first
import { webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequestGenerator, cryptoProvider } from '@peculiar/x509';
import {
  CPU_PROF,
  QUICK,
  fmtInt,
  fmtMs,
  loadAverage,
  log,
  measuredLine,
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
  Rest,
  createBenchDatabase,
  startAdminApi,
  startGateway,
  stopGatehouse,
} from '../lib/gatehouse';
import { type Cred, LoadWorker, type StormResult } from '../lib/load';
import { beginRun, profileStart, profileStop, rssOf, startBareAedes, stop } from '../lib/processes';
import { type ProfileSummary, printProfile, summarizeProfile } from '../lib/profile';
import { SEED_PASSWORD, seedUsers } from '../lib/seed';

const NAME = 'connect-storm';
const USERS = QUICK ? 100 : 1_000;
const BIG = QUICK ? 0 : 10_000;
const WORKERS = QUICK ? 2 : 4;
const RETRY_MS = 1_000;
const FIRST_DEADLINE_MS = QUICK ? 30_000 : 120_000;
const PACED_CONCURRENCY = 2; // per load-generator process
const RECONNECT_DEADLINE_MS = QUICK ? 15_000 : 120_000;
const PERMISSIONS_PER_USER = 10;
const GOAL_RECONNECT_PER_S = 1_000;
const AEDES_BACKLOG = 4096;
const GATEWAY_ENV = { MQTT_AUTH_CACHE_TTL_SECONDS: '600', MQTT_TLS_PORT: '0' };
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

type Generator = 'mqtt.js' | 'wire';

interface Phase {
  id: string;
  label: string;
  /** the broker stormed: the Gatehouse gateway, or bare aedes (no hooks, accepts anyone) for reference */
  broker: 'gatehouse' | 'aedes';
  generator: Generator;
  clients: number;
  users: number;
  accepted: number;
  connacksPerSecond: number;
  /** Storm start → last accepted CONNACK. */
  durationMs: number;
  connackMs: { p50: number; p90: number; p99: number; max: number };
  attempts: number;
  refusals: Record<string, number>;
  gatewayRssMiB: number;
}

function creds(users: number, perUser: number, tag: string): Cred[] {
  const out: Cred[] = [];
  for (let k = 0; k < perUser; k++) {
    for (let u = 0; u < users; u++)
      out.push({ username: `storm-${u}`, password: SEED_PASSWORD, clientId: `${tag}-${u}-${k}` });
  }
  return out;
}

/**
 * One client certificate per user: an EC P-256 key and CSR made here (the key never leaves the bench),
 * signed by admin-api's `POST /api/users/{id}/certificates` (which also gives the user the certificate
 * grant type). Returns mqtts credentials without username or password (CN = username).
 */
async function issueCertificates(
  rest: Rest,
  rows: readonly { id: string; username: string }[],
): Promise<{ creds: (tag: string) => Cred[]; issueMs: number }> {
  cryptoProvider.set(webcrypto as never);
  const t = Date.now();
  const issued: { username: string; key: string; cert: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < rows.length) {
        const u = rows[next++];
        const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
        const csr = await Pkcs10CertificateRequestGenerator.create({
          name: `CN=${u.username}`,
          keys: keys as never,
          signingAlgorithm: EC as never,
        });
        const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString(
          'base64',
        );
        const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
        const answer = await rest.call<{ certificate: string }>(
          'POST',
          `/api/users/${u.id}/certificates`,
          { csr: csr.toString('pem') },
          201,
        );
        issued.push({ username: u.username, key, cert: answer.certificate });
      }
    }),
  );
  return {
    issueMs: Date.now() - t,
    creds: (tag) =>
      issued.map((x, i) => ({
        username: '',
        password: '',
        clientId: `${tag}-${i}`,
        key: x.key,
        cert: x.cert,
      })),
  };
}

async function storm(
  workers: LoadWorker[],
  all: Cred[],
  deadlineMs: number,
  generator: Generator,
  url: string | undefined,
): Promise<{ startMs: number; results: StormResult[] }> {
  const per = Math.ceil(all.length / workers.length);
  const parts = workers.map((w, i) => all.slice(i * per, (i + 1) * per)).filter((p) => p.length > 0);
  const answers = await Promise.all(
    parts.map((p, i) =>
      workers[i].cmd<{ startMs: number; results: StormResult[] }>(
        {
          type: 'storm',
          url: url ?? (p[0].cert ? gatewayTlsUrl : gatewayUrl),
          clients: p,
          generator,
          retryMs: RETRY_MS,
          deadlineMs,
        },
        'storm',
        deadlineMs + 60_000,
      ),
    ),
  );
  return { startMs: Math.min(...answers.map((a) => a.startMs)), results: answers.flatMap((a) => a.results) };
}

let gatewayUrl = '';
let gatewayTlsUrl = '';

function phaseOf(
  id: string,
  label: string,
  users: number,
  r: { startMs: number; results: StormResult[] },
  gatewayPid: number | undefined,
  broker: Phase['broker'],
  generator: Generator,
): Phase {
  const ok = r.results.filter((x) => Number.isFinite(x.connackMs));
  const times = ok.map((x) => x.connackMs);
  const lastMs = ok.length ? Math.max(...ok.map((x) => x.acceptedAtMs)) : Number.NaN;
  const refusals: Record<string, number> = {};
  for (const x of r.results)
    for (const [k, v] of Object.entries(x.refusals)) refusals[k] = (refusals[k] ?? 0) + v;
  const durationMs = lastMs - r.startMs;
  return {
    id,
    label,
    broker,
    generator,
    clients: r.results.length,
    users,
    accepted: ok.length,
    connacksPerSecond: Math.round((ok.length / durationMs) * 1000),
    durationMs: round(durationMs, 1),
    connackMs: {
      p50: round(percentile(times, 50), 1),
      p90: round(percentile(times, 90), 1),
      p99: round(percentile(times, 99), 1),
      max: round(Math.max(...times), 1),
    },
    attempts: r.results.reduce((s, x) => s + x.attempts, 0),
    refusals,
    gatewayRssMiB: round(rssOf(gatewayPid) / 2 ** 20, 1),
  };
}

async function main(): Promise<void> {
  const { startedAt, t0, m, loadBefore } = beginRun(NAME);

  let db: BenchDatabase | undefined;
  let admin: AdminApiProcess | undefined;
  let gateway: GatewayProcess | undefined;
  const phases: Phase[] = [];
  const profiles: Record<string, ProfileSummary> = {};
  let certificates = 'not run: ';
  const workers = await Promise.all(
    Array.from({ length: WORKERS }, (_, i) => LoadWorker.start(`storm-${i}`)),
  );
  try {
    db = await createBenchDatabase(NAME);
    admin = await startAdminApi(db, NAME);
    const seeded = await seedUsers(db, {
      count: USERS,
      prefix: 'storm-',
      permissionsPerUser: PERMISSIONS_PER_USER,
    });
    log(NAME, `seeded ${USERS} users (${PERMISSIONS_PER_USER} permissions each) in ${seeded.insertMs} ms`);
    const openapi = (await (await fetch(`${admin.httpUrl}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const certEndpoint = !!openapi.paths['/api/users/{id}/certificates']?.post;
    if (!certEndpoint)
      certificates += 'POST /api/users/{id}/certificates does not exist yet (client registry)';
    gateway = await startGateway(admin, NAME, GATEWAY_ENV);
    gatewayUrl = gateway.mqttUrl;
    gatewayTlsUrl = gateway.tlsUrl ?? '';
    if (certEndpoint && !gatewayTlsUrl) certificates += 'the gateway opened no TLS listener';

    const run = async (
      id: string,
      label: string,
      all: Cred[],
      users: number,
      deadlineMs: number,
      profileAdmin: boolean,
      generator: Generator = 'mqtt.js',
      aedes?: { url: string; pid: number | undefined },
    ): Promise<void> => {
      log(NAME, `${label}: ${fmtInt(all.length)} clients …`);
      if (CPU_PROF && !aedes) {
        await profileStart(gateway!.child);
        if (profileAdmin) await profileStart(admin!.child);
      }
      const r = await storm(workers, all, deadlineMs, generator, aedes?.url);
      if (CPU_PROF && !aedes) {
        profiles[`gateway-${id}`] = summarizeProfile(
          await profileStop(gateway!.child, `${NAME}-gateway-${id}`),
        );
        printProfile(profiles[`gateway-${id}`]);
        if (profileAdmin) {
          profiles[`admin-api-${id}`] = summarizeProfile(
            await profileStop(admin!.child, `${NAME}-admin-api-${id}`),
          );
          printProfile(profiles[`admin-api-${id}`]);
        }
      }
      const p = phaseOf(
        id,
        label,
        users,
        r,
        aedes ? aedes.pid : gateway!.child.pid,
        aedes ? 'aedes' : 'gatehouse',
        generator,
      );
      phases.push(p);
      log(
        NAME,
        `${label}: ${fmtInt(p.accepted)}/${fmtInt(p.clients)} accepted, ${fmtInt(p.connacksPerSecond)} CONNACK/s, ` +
          `p50 ${fmtMs(p.connackMs.p50)}, p99 ${fmtMs(p.connackMs.p99)}, ${fmtInt(p.attempts)} attempts, refusals ${JSON.stringify(p.refusals)}`,
      );
      for (const w of workers) await w.disconnect();
      await sleep(1_000);
    };

    await run(
      'first',
      `first connect, ${fmtInt(USERS)} users, all at once`,
      creds(USERS, 1, 'first'),
      USERS,
      FIRST_DEADLINE_MS,
      true,
    );

    // A storm that does not finish leaves admin-api with a queue of verifications and the cache cold: start
    // both again (same database), then connect every user a few at a time. That measures what admin-api
    // can verify per second, and warms the cache for the reconnect phases.
    await stop(gateway.child);
    await stop(admin.child);
    admin = await startAdminApi(db, NAME, {}, true);
    gateway = await startGateway(admin, NAME, GATEWAY_ENV);
    gatewayUrl = gateway.mqttUrl;
    gatewayTlsUrl = gateway.tlsUrl ?? '';
    {
      const all = creds(USERS, 1, 'paced');
      log(
        NAME,
        `first connect, paced (${PACED_CONCURRENCY * WORKERS} at a time): ${fmtInt(all.length)} clients …`,
      );
      const t = Number(process.hrtime.bigint()) / 1e6;
      const per = Math.ceil(all.length / WORKERS);
      await Promise.all(
        workers.map((w, i) => w.connect(gatewayUrl, all.slice(i * per, (i + 1) * per), PACED_CONCURRENCY)),
      );
      const ms = Number(process.hrtime.bigint()) / 1e6 - t;
      const p: Phase = {
        id: 'first-paced',
        broker: 'gatehouse',
        generator: 'mqtt.js',
        label: `first connect, ${fmtInt(USERS)} users, ${PACED_CONCURRENCY * WORKERS} at a time`,
        clients: all.length,
        users: USERS,
        accepted: all.length,
        connacksPerSecond: Math.round((all.length / ms) * 1000),
        durationMs: round(ms, 1),
        connackMs: { p50: NaN, p90: NaN, p99: NaN, max: NaN },
        attempts: all.length,
        refusals: {},
        gatewayRssMiB: round(rssOf(gateway.child.pid) / 2 ** 20, 1),
      };
      phases.push(p);
      log(NAME, `${p.label}: ${fmtInt(p.connacksPerSecond)} CONNACK/s (${round(ms / 1000, 1)} s)`);
      for (const w of workers) await w.disconnect();
      await sleep(1_000);
    }
    await run(
      'reconnect',
      `reconnect, ${fmtInt(USERS)} users (cache warm)`,
      creds(USERS, 1, 'again'),
      USERS,
      RECONNECT_DEADLINE_MS,
      false,
    );
    if (BIG > 0) {
      await run(
        'reconnect-10k',
        `reconnect, ${fmtInt(BIG)} clients of ${fmtInt(USERS)} users (cache warm)`,
        creds(USERS, BIG / USERS, 'big'),
        USERS,
        RECONNECT_DEADLINE_MS,
        false,
      );
    }
    // The same reconnect storms with the wire generator (a socket, one CONNECT written, the CONNACK read):
    // mqtt.js clients cost the load-generator processes more CPU than the gateway spends on them, and
    // they share the machine's two cores with it.
    await run(
      'reconnect-wire',
      `reconnect, ${fmtInt(USERS)} users (cache warm), wire generator`,
      creds(USERS, 1, 'wire'),
      USERS,
      RECONNECT_DEADLINE_MS,
      false,
      'wire',
    );
    if (BIG > 0) {
      await run(
        'reconnect-10k-wire',
        `reconnect, ${fmtInt(BIG)} clients of ${fmtInt(USERS)} users (cache warm), wire generator`,
        creds(USERS, BIG / USERS, 'wire-big'),
        USERS,
        RECONNECT_DEADLINE_MS,
        false,
        'wire',
      );
    }
    if (certificates === 'not run: ') {
      const rest = await Rest.login(admin.httpUrl);
      const issued = await issueCertificates(rest, seeded.users);
      log(NAME, `issued ${fmtInt(USERS)} client certificates in ${issued.issueMs} ms`);
      certificates = `${fmtInt(USERS)} certificates (EC P-256) issued with POST /api/users/{id}/certificates in ${round(issued.issueMs / 1000, 1)} s, TLS listener (rows "client certificates")`;
      await run(
        'cert-first',
        `client certificates, first connect, ${fmtInt(USERS)} users`,
        issued.creds('cert'),
        USERS,
        RECONNECT_DEADLINE_MS,
        true,
      );
      await run(
        'cert-reconnect',
        `client certificates, reconnect, ${fmtInt(USERS)} users (cache warm)`,
        issued.creds('cert-again'),
        USERS,
        RECONNECT_DEADLINE_MS,
        false,
      );
    }
    // Reference: bare aedes (no hooks, no authentication) under the same storms, alone on the machine.
    await stopGatehouse({ gateway, admin });
    gateway = undefined;
    admin = undefined;
    // the gateway's listen backlog (MQTT_LISTEN_BACKLOG default): the rows compare the brokers, not the
    // kernel's accept queue
    const aedes = await startBareAedes({ backlog: AEDES_BACKLOG });
    try {
      const target = { url: aedes.url, pid: aedes.proc.child.pid };
      const sizes = BIG > 0 ? [USERS, BIG] : [USERS];
      for (const clients of sizes) {
        for (const generator of ['mqtt.js', 'wire'] as const) {
          const size = clients === USERS ? '' : '-10k';
          const suffix = generator === 'wire' ? '-wire' : '';
          await run(
            `aedes${size}${suffix}`,
            `bare aedes, ${fmtInt(clients)} clients${generator === 'wire' ? ', wire generator' : ''}`,
            creds(USERS, clients / USERS, `aedes${size}${suffix}`),
            USERS,
            RECONNECT_DEADLINE_MS,
            false,
            generator,
            target,
          );
        }
      }
    } finally {
      await stop(aedes.proc.child);
    }
  } finally {
    for (const w of workers) await w.exit();
    await stopGatehouse({ gateway, admin, db });
  }

  const durationS = Number(nowNs() - t0) / 1e9;
  // The goal is the gateway's: judged on the wire-generator storms (the load generator does not compete
  // with the gateway for the two cores); the mqtt.js figures are printed beside it.
  const byId = (id: string): Phase | undefined => phases.find((p) => p.id === id);
  const complete = (p: Phase | undefined): p is Phase => !!p && p.accepted === p.clients;
  const judged = [byId('reconnect-wire'), byId('reconnect-10k-wire')].filter((p): p is Phase => !!p);
  const met =
    judged.length > 0 && judged.every((p) => complete(p) && p.connacksPerSecond >= GOAL_RECONNECT_PER_S);
  const rate = (p: Phase | undefined): string => (p ? `${fmtInt(p.connacksPerSecond)}` : '–');
  const goalLine =
    `Goal: reconnect storm ≥ ${fmtInt(GOAL_RECONNECT_PER_S)} CONNACK/s: ${met ? 'met' : '**missed**'} ` +
    `(wire generator: ${judged.map((p) => `${rate(p)} CONNACK/s for ${fmtInt(p.clients)} clients`).join(', ')}; ` +
    `mqtt.js generator: ${rate(byId('reconnect'))} for ${fmtInt(USERS)}${BIG > 0 ? `, ${rate(byId('reconnect-10k'))} for ${fmtInt(BIG)}` : ''}; ` +
    `bare aedes under the same mqtt.js storm: ${rate(byId('aedes'))}${BIG > 0 ? `, ${rate(byId('aedes-10k'))}` : ''}).`;
  const command = `npm run bench:${NAME}${QUICK ? ' -- --quick' : ''}${CPU_PROF ? ' -- --cpu-prof' : ''}`;
  const lines = [
    measuredLine(m, startedAt, durationS, command),
    '',
    `Every client of a phase starts at once (${WORKERS} load-generator processes); a refused attempt is retried after ${RETRY_MS / 1000} s. ` +
      `Users seeded with SQL (${PERMISSIONS_PER_USER} permissions each); gateway with \`MQTT_AUTH_CACHE_TTL_SECONDS=600\` so that the cache is still warm for the reconnect phases ` +
      '(the default 60 s would expire the entries of a first-connect storm that lasts longer than that), everything else default (`IDENTITY_TIMEOUT_MS` 5 s).',
    '',
    '| phase | accepted | CONNACK/s | p50 to CONNACK | p99 to CONNACK | max | attempts | refusals / failures | broker RSS |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|',
    ...phases.map(
      (p) =>
        `| ${p.label} | ${fmtInt(p.accepted)}/${fmtInt(p.clients)} | ${fmtInt(p.connacksPerSecond)} | ${fmtMs(p.connackMs.p50)} | ${fmtMs(p.connackMs.p99)} | ` +
        `${fmtMs(p.connackMs.max)} | ${fmtInt(p.attempts)} | ${
          Object.entries(p.refusals)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ') || 'none'
        } | ${p.gatewayRssMiB} MiB |`,
    ),
    '',
    `Client certificates: ${certificates}.`,
    '',
    'After the all-at-once first connect, admin-api and the gateway are restarted (same database) before the paced first connect, ' +
      'so that verifications still queued from the storm do not slow it down; the paced phase warms the verification cache for the reconnect phases ' +
      '(its p50/p99 are not measured: the clients connect a few at a time).',
    '',
    'Generators: **mqtt.js** = one mqtt.js client per connection (as in the other scenarios); **wire** = a plain TCP socket per ' +
      'connection that writes one encoded MQTT 3.1.1 CONNECT (same client id, username and password) and reads the 4-byte CONNACK. ' +
      'Both run in the same 4 processes on the same two cores as the broker; the wire generator costs them far less CPU. ' +
      `Bare aedes rows: \`bench/lib/workers/bare-aedes.ts\` (no hooks, accepts anyone) listening with backlog ${AEDES_BACKLOG} like the gateway.`,
    '',
    goalLine,
  ];
  const table = lines.join('\n');
  const file = writeResults(
    NAME,
    {
      benchmark: NAME,
      scenario: 'issue 5, scenario 3: connect storms (passwords: first connect, reconnect)',
      command,
      startedAt,
      durationSeconds: round(durationS),
      machine: m,
      conditions: { loadAverageBefore: loadBefore, loadAverageAfter: loadAverage() },
      parameters: {
        quick: QUICK,
        users: USERS,
        bigReconnectClients: BIG,
        workers: WORKERS,
        retryMs: RETRY_MS,
        deadlines: { firstMs: FIRST_DEADLINE_MS, reconnectMs: RECONNECT_DEADLINE_MS },
        permissionsPerUser: PERMISSIONS_PER_USER,
        gatewayEnv: GATEWAY_ENV,
        client:
          "mqtt.js, MQTT 3.1.1, clean session, no auto-reconnect (the worker retries itself); 'wire' phases: a plain TCP socket per client writing one encoded MQTT 3.1.1 CONNECT and reading the CONNACK",
        certificates,
      },
      goals: { reconnectConnacksPerSecond: GOAL_RECONNECT_PER_S },
      summary: phases,
      profiles,
    },
    CPU_PROF,
  );
  log(NAME, `wrote ${file}`);
  console.log(`\n${table}\n`);
  await updateReadme(NAME, 'Connect storms (issue 5, scenario 3)', table, CPU_PROF); // profiled runs are slower: kept out of the README
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
