/**
 * Soak (issue 9, adversarial suites; not in CI): admin-api (embedded PGlite by default, `--db=postgres`
 * for BENCH_PG_URL) and one gateway as separate processes, 1,000 MQTT clients with QoS 1 traffic, a
 * role's permission removed and re-added every 10 s, and idle gaps longer than every timeout (15 s:
 * the pool's 10 s idle timeout, 13 s seen in defect 1) during which nobody publishes and admin-api gets
 * no request. Asserts:
 *   - 0 lost QoS 1 messages for subscribers still authorized: every message to a `stable` subscriber,
 *     and every message to a `revocable` subscriber published inside a grant window (from its
 *     re-subscription until the next revocation), arrives;
 *   - 0 deliveries after a revocation took effect: no message reaches a revocable subscriber from
 *     REVOCATION_GRACE_MS after the revoking PATCH answered until the re-granting PATCH is sent;
 *   - a flat RSS of both processes: the highest sample of the last quarter ≤ 1.25 × the median of the
 *     second quarter (the first quarter is warm-up);
 *   - every admin API call succeeds (an idle database that dies shows up here).
 * Writes bench/results/soak.json (bench/.tmp/soak.quick.json with --quick) with the RSS samples.
 *
 *   npm run soak -- --minutes 30        the figures for the note
 *   npm run soak -- --minutes 1         smoke run (one idle gap)
 *   … --clients=N                       fewer/more clients (default 1,000)
 */
import fs from 'node:fs';
import path from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { TMP, arg, fmtInt, log, machine, median, round, sleep, writeResults } from '../lib/common';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  PG_URL,
  Rest,
  createBenchDatabase,
  stopGatehouse,
  startGateway,
} from '../lib/gatehouse';
import type { AdminApiProcess, BenchDatabase, GatewayProcess } from '../lib/gatehouse';
import { build, rssOf, spawnNode } from '../lib/processes';

const NAME = 'soak';
const minutesArg = process.argv.indexOf('--minutes');
const MINUTES = Number(minutesArg >= 0 ? process.argv[minutesArg + 1] : (arg('minutes') ?? 1));
const CLIENTS = Number(arg('clients') ?? 1_000);
const USE_POSTGRES = arg('db') === 'postgres';
const USERS = 10;
const REVOCABLE_USERS = 2; // users 0 and 1: 20 % of the clients lose and regain read access
const EDIT_EVERY_MS = 10_000;
const IDLE_GAP_MS = 15_000;
const CYCLE_MS = 60_000; // each minute: 45 s of traffic and edits, then the idle gap
const PUBLISH_EVERY_MS = 2_000; // per client: ~500 messages/s with 1,000 clients
const REVOCATION_GRACE_MS = 500;
const DRAIN_MS = 10_000;
const RSS_EVERY_MS = 5_000;
const PASSWORD = 'Soak-device-password-1';

interface Sent {
  to: number;
  at: number;
  revocable: boolean;
}

async function startAdmin(db: BenchDatabase | undefined): Promise<AdminApiProcess> {
  const dataDir = path.join(TMP, `${NAME}-admin-data`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  const p = spawnNode('dist/apps/admin-api/src/main.js', {
    label: 'admin-api',
    nodeArgs: ['--disable-warning=ExperimentalWarning'],
    env: {
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      TRANSPORT_URL: 'tcp://127.0.0.1:0',
      ADMIN_USERNAME,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'warn',
      ...(db ? { DATABASE_URL: db.url } : { DATABASE_URL: undefined }),
    },
  });
  const http = await p.waitFor(/admin-api\s+http\s+(http:\/\/\S+?)\/api\s/, 120_000);
  const transport = await p.waitFor(/admin-api\s+transport\s+((?:tcp|nats):\/\/\S+)/, 30_000);
  return Object.assign(p, { httpUrl: http[1], transportUrl: transport[1] });
}

function connectOne(port: number, username: string, clientId: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = connect(`mqtt://127.0.0.1:${port}`, {
      protocolVersion: 4,
      clientId,
      username,
      password: PASSWORD,
      clean: true,
      keepalive: 60,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
    });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const m = machine();
  log(
    NAME,
    `${MINUTES} min, ${CLIENTS} clients, ${USE_POSTGRES ? `PostgreSQL ${PG_URL}` : 'embedded PGlite'}, on ${m.cpuModel} × ${m.cores}`,
  );
  build();
  const db = USE_POSTGRES ? await createBenchDatabase(NAME) : undefined;
  let admin: AdminApiProcess | undefined;
  let gateway: GatewayProcess | undefined;
  const clients: MqttClient[] = [];
  const failures: string[] = [];
  const apiErrors: string[] = [];
  try {
    admin = await startAdmin(db);
    gateway = await startGateway(admin, NAME, { LOG_LEVEL: 'warn' });
    const rest = await Rest.login(admin.httpUrl);
    const apiCall = async <T>(what: string, f: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await f();
      } catch (err) {
        apiErrors.push(`${new Date().toISOString()} ${what}: ${(err as Error).message.slice(0, 300)}`);
        return undefined;
      }
    };

    // Roles: everyone may publish under soak/; stable users read soak/stable/#; the revocable role
    // (toggled) reads soak/revocable/#.
    const writer = await rest.call<{ id: string }>(
      'POST',
      '/api/roles',
      { name: 'soak-writer', permissions: [{ context: 'mqtt', resource: 'soak/#', operation: 'write' }] },
      201,
    );
    const stableReader = await rest.call<{ id: string }>(
      'POST',
      '/api/roles',
      {
        name: 'soak-stable',
        permissions: [{ context: 'mqtt', resource: 'soak/stable/#', operation: 'read' }],
      },
      201,
    );
    const revocablePermission = { context: 'mqtt', resource: 'soak/revocable/#', operation: 'read' };
    const revocable = await rest.call<{ id: string; version: number }>(
      'POST',
      '/api/roles',
      { name: 'soak-revocable', permissions: [revocablePermission] },
      201,
    );
    for (let u = 0; u < USERS; u++)
      await rest.createUser(
        `soak-${u}`,
        PASSWORD,
        [],
        [writer.id, u < REVOCABLE_USERS ? revocable.id : stableReader.id],
      );

    // Clients: client i belongs to user i % USERS and subscribes (QoS 1) to its own topic.
    const isRevocable = (i: number) => i % USERS < REVOCABLE_USERS;
    const topicOf = (i: number) => `soak/${isRevocable(i) ? 'revocable' : 'stable'}/${i}`;
    const sent = new Map<string, Sent>();
    const received = new Map<string, number>(); // id → receive time
    const duplicates = { count: 0 };
    for (let i = 0; i < CLIENTS; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, CLIENTS - i) }, (_, k) =>
          connectOne(gateway!.port, `soak-${(i + k) % USERS}`, `soak-client-${i + k}`),
        ),
      );
      clients.push(...batch);
    }
    clients.forEach((c, i) => {
      c.on('message', (_topic, payload) => {
        const id = payload.toString();
        if (received.has(id)) duplicates.count++;
        else received.set(id, Date.now());
        void i;
      });
      c.on('close', () => failures.push(`client ${i} disconnected at ${new Date().toISOString()}`));
      c.on('error', () => undefined);
    });
    const subscribeAll = async (which: (i: number) => boolean) => {
      await Promise.all(
        clients.map(async (c, i) => {
          if (!which(i)) return;
          const granted = await c.subscribeAsync(topicOf(i), { qos: 1 });
          if (granted[0]?.qos === 128)
            failures.push(`client ${i}: SUBSCRIBE ${topicOf(i)} refused while granted`);
        }),
      );
    };
    await subscribeAll(() => true);
    log(NAME, `${clients.length} clients connected and subscribed`);

    // Revocation windows: [revokedAt (PATCH answered), regrantedAt (re-subscribed)).
    const windows: { revokedAt: number; regrantSentAt: number; regrantedAt: number }[] = [];
    let granted = true;
    let grantedSince = Date.now();
    let version = revocable.version;
    const toggle = async () => {
      const sentAt = Date.now();
      const body = { permissions: granted ? [] : [revocablePermission], version };
      const r = await apiCall('PATCH /api/roles/{id}', () =>
        rest.call<{ version: number }>('PATCH', `/api/roles/${revocable.id}`, body),
      );
      if (!r) return;
      version = r.version;
      if (granted) {
        granted = false;
        windows.push({
          revokedAt: Date.now(),
          regrantSentAt: Number.POSITIVE_INFINITY,
          regrantedAt: Number.POSITIVE_INFINITY,
        });
      } else {
        await subscribeAll(isRevocable);
        granted = true;
        grantedSince = Date.now();
        windows[windows.length - 1].regrantSentAt = sentAt;
        windows[windows.length - 1].regrantedAt = grantedSince;
      }
    };

    const rss: { t: number; gatewayMiB: number; adminApiMiB: number }[] = [];
    const t0 = Date.now();
    const end = t0 + MINUTES * 60_000;
    const sampler = setInterval(() => {
      rss.push({
        t: round((Date.now() - t0) / 1000, 0),
        gatewayMiB: round(rssOf(gateway?.child.pid) / 2 ** 20),
        adminApiMiB: round(rssOf(admin?.child.pid) / 2 ** 20),
      });
    }, RSS_EVERY_MS);
    let seq = 0;
    let lastEdit = Date.now();
    let idleGaps = 0;
    const inIdleGap = (now: number) => (now - t0) % CYCLE_MS >= CYCLE_MS - IDLE_GAP_MS;
    const publishers = clients.map(async (c) => {
      await sleep(Math.random() * PUBLISH_EVERY_MS);
      while (Date.now() < end) {
        const now = Date.now();
        if (!inIdleGap(now) && c.connected) {
          const to = Math.floor(Math.random() * CLIENTS);
          const id = `m${++seq}`;
          sent.set(id, { to, at: now, revocable: isRevocable(to) });
          c.publish(topicOf(to), id, { qos: 1 });
        }
        await sleep(PUBLISH_EVERY_MS);
      }
    });
    let wasIdle = false;
    while (Date.now() < end) {
      const now = Date.now();
      const idle = inIdleGap(now);
      if (idle && !wasIdle) {
        idleGaps++;
        log(NAME, `idle gap ${idleGaps} (${IDLE_GAP_MS / 1000} s: no traffic, no admin API call)`);
      }
      if (!idle && wasIdle) {
        // The first request after the gap: the database must still answer.
        await apiCall('GET /api/me after idle', () => rest.call('GET', '/api/me'));
        await apiCall('PATCH after idle', toggle);
        lastEdit = Date.now();
      }
      wasIdle = idle;
      if (!idle && now - lastEdit >= EDIT_EVERY_MS) {
        await toggle();
        lastEdit = Date.now();
      }
      await sleep(200);
    }
    await Promise.all(publishers);
    if (!granted) await toggle(); // end granted, so the drain below is fair
    log(NAME, `traffic over; draining ${DRAIN_MS / 1000} s`);
    await sleep(DRAIN_MS);
    clearInterval(sampler);

    // Verdicts.
    // A revocation is in effect from REVOCATION_GRACE_MS after its PATCH answered until the
    // re-granting PATCH is sent: from then on a client that has re-subscribed may receive again (the
    // re-subscriptions of all revocable clients take tens of milliseconds, regrantedAt is after the
    // last of them, so it cannot be the end of the window).
    const revokedAt = (at: number) =>
      windows.some((w) => at >= w.revokedAt + REVOCATION_GRACE_MS && at < w.regrantSentAt);
    const inGrant = (at: number) =>
      // granted from re-subscription until the next revocation's PATCH was sent (approximated by its answer)
      !windows.some((w) => at >= w.revokedAt - 1_000 && at < w.regrantedAt + 200);
    let lost = 0;
    let afterRevocation = 0;
    let expected = 0;
    const lostExamples: string[] = [];
    const afterRevocationExamples: string[] = [];
    for (const [id, s] of sent) {
      const got = received.has(id);
      if (!s.revocable || inGrant(s.at)) {
        expected++;
        if (!got) {
          lost++;
          if (lostExamples.length < 10) lostExamples.push(`${id} to client ${s.to} at +${s.at - t0} ms`);
        }
      } else if (got && revokedAt(received.get(id) ?? 0)) {
        afterRevocation++;
        const w = windows.find((x) => s.at >= x.revokedAt && s.at < x.regrantedAt);
        if (afterRevocationExamples.length < 10)
          afterRevocationExamples.push(
            `${id} to client ${s.to}: published ${w ? s.at - w.revokedAt : '?'} ms after the revoking PATCH answered, received ${w ? (received.get(id) ?? 0) - w.revokedAt : '?'} ms after (the re-granting PATCH was sent ${w ? w.regrantSentAt - w.revokedAt : '?'} ms after)`,
          );
      }
    }
    const quarter = Math.floor(rss.length / 4);
    const flat = (key: 'gatewayMiB' | 'adminApiMiB') => {
      const ref = median(rss.slice(quarter, 2 * quarter).map((r) => r[key]));
      const lastMax = Math.max(...rss.slice(3 * quarter).map((r) => r[key]));
      return {
        referenceMiB: ref,
        lastQuarterMaxMiB: lastMax,
        ratio: round(lastMax / ref, 3),
        flat: lastMax <= ref * 1.25,
      };
    };
    const result = {
      name: NAME,
      startedAt,
      minutes: MINUTES,
      clients: CLIENTS,
      database: USE_POSTGRES ? 'postgres' : 'pglite',
      machine: m,
      published: sent.size,
      expectedDeliveries: expected,
      lostQos1: lost,
      lostExamples,
      deliveriesAfterRevocation: afterRevocation,
      afterRevocationExamples,
      duplicates: duplicates.count,
      permissionEdits: windows.length * 2,
      idleGaps,
      apiErrors,
      adminApiErrorLines: (admin.output().match(/^.*(error|ERROR).*$/gm) ?? []).slice(0, 10),
      clientFailures: failures.slice(0, 20),
      rss: { gateway: flat('gatewayMiB'), adminApi: flat('adminApiMiB'), samples: rss },
    };
    const file = writeResults(NAME, result);
    log(
      NAME,
      `published ${fmtInt(sent.size)}, expected ${fmtInt(expected)} deliveries, lost ${lost}, after revocation ${afterRevocation}, duplicates ${duplicates.count}`,
    );
    log(
      NAME,
      `edits ${result.permissionEdits}, idle gaps ${idleGaps}, admin API errors ${apiErrors.length}, client failures ${failures.length}`,
    );
    log(
      NAME,
      `RSS gateway ${JSON.stringify(result.rss.gateway)}; admin-api ${JSON.stringify(result.rss.adminApi)}`,
    );
    log(
      NAME,
      `RSS samples (s: gateway/admin-api MiB): ${rss.map((r) => `${r.t}:${r.gatewayMiB}/${r.adminApiMiB}`).join(' ')}`,
    );
    log(NAME, `wrote ${file}`);
    const verdicts = [
      lost === 0 ? null : `${lost} QoS 1 messages lost (${lostExamples.slice(0, 3).join('; ')})`,
      afterRevocation === 0
        ? null
        : `${afterRevocation} deliveries after a revocation took effect (${afterRevocationExamples.slice(0, 3).join('; ')})`,
      result.rss.gateway.flat ? null : `gateway RSS not flat: ${JSON.stringify(result.rss.gateway)}`,
      result.rss.adminApi.flat ? null : `admin-api RSS not flat: ${JSON.stringify(result.rss.adminApi)}`,
      apiErrors.length === 0
        ? null
        : `${apiErrors.length} admin API calls failed: ${apiErrors.slice(0, 3).join(' | ')}`,
      failures.length === 0
        ? null
        : `${failures.length} client failures: ${failures.slice(0, 3).join(' | ')}`,
    ].filter((v): v is string => v !== null);
    for (const v of verdicts) log(NAME, `FAILED: ${v}`);
    for (const line of result.adminApiErrorLines) log(NAME, `admin-api: ${line.slice(0, 300)}`);
    process.exitCode = verdicts.length ? 1 : 0;
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await stopGatehouse({ gateway, admin, db });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
