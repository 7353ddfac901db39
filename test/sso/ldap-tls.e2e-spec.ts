/**
 * Issue 12 (LDAP part: "LDAPS/StartTLS, a connection pool with timeouts"), SPEC 2.1a, ADR 0024: log-in
 * over HTTP against a real slapd with a throw-away CA (test/support/slapd.ts `tls: true`, which also
 * refuses a simple bind without TLS): LDAPS and StartTLS with LDAP_TLS_CA_FILE work and read the
 * groups; a certificate the client cannot verify (system CAs only, or another CA), StartTLS against a
 * directory that does not offer it, and a directory that accepts TCP but never answers are each a 503
 * IDENTITY.DIRECTORY_UNAVAILABLE problem (never a 500, never a hang, never the service password), with
 * the cause in the log. Concurrent logins share a pool of LDAP_POOL_SIZE connections.
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createAppLogger } from '@gatehouse/contracts';
import { createTestDatabase, type TestDatabase } from '@gatehouse/testing';
import { type AdminApiHandle, createAdminApi } from '../../apps/admin-api/src/bootstrap';
import { installSecretLeakDetector, type LeakReport } from '../support/secret-leak-detector';
import {
  LDAP_SERVICE_PASSWORD,
  ldapEnvFor,
  slapdMissingReason,
  startTestDirectory,
  type TestDirectory,
} from '../support/slapd';
import { createTestCa, type TestCa } from '../support/test-ca';

jest.setTimeout(60_000);

const missing = slapdMissingReason();
if (missing) {
  console.warn(`test/sso/ldap-tls.e2e-spec.ts skipped: ${missing}`);
}
const describeLdap = missing ? describe.skip : describe;

const ADMIN_PASSWORD = 'Ldap-tls-admin-passw0rd-1';
const ALICE_PW = 'alice-directory-pw-1';
const BOB_PW = 'bob-directory-pw-1';

type Json = Record<string, unknown>;

interface Answer {
  status: number;
  body: Json;
  text: string;
  contentType: string | null;
  ms: number;
}

/** An admin-api with its own database, its warn/error log lines captured and every answer leak-checked. */
interface Api {
  handle: AdminApiHandle;
  leaks: LeakReport[];
  /** Every answer body this api sent to the test. */
  answers: string[];
  log(): string;
  call(method: string, path: string, body?: unknown, token?: string): Promise<Answer>;
  login(username: string, password: string): Promise<Answer>;
  stop(): Promise<void>;
}

async function startApi(env: Record<string, string>): Promise<Api> {
  const db: TestDatabase = await createTestDatabase();
  const chunks: string[] = [];
  const capture = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  let leaks: LeakReport[] = [];
  const answers: string[] = [];
  let handle: AdminApiHandle;
  try {
    handle = await createAdminApi(
      {
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        TRANSPORT_URL: 'tcp://127.0.0.1:0',
        DATA_DIR: db.options.dataDir,
        ...(db.options.databaseUrl ? { DATABASE_URL: db.options.databaseUrl } : {}),
        ADMIN_USERNAME: 'admin',
        ADMIN_PASSWORD,
        LOG_LEVEL: 'warn',
        ...env,
      },
      {
        logger: createAppLogger('admin-api', 'warn', capture),
        beforeListen: (app) => (leaks = installSecretLeakDetector(app)),
      },
    );
  } catch (err) {
    await db.drop();
    throw err;
  }
  const call = async (method: string, path: string, body?: unknown, token?: string): Promise<Answer> => {
    const started = Date.now();
    const res = await fetch(`${handle.httpUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(15_000), // a hanging login fails the test instead of stalling it
    });
    const text = await res.text();
    answers.push(text);
    return {
      status: res.status,
      body: text ? (JSON.parse(text) as Json) : {},
      text,
      contentType: res.headers.get('content-type'),
      ms: Date.now() - started,
    };
  };
  return {
    handle,
    get leaks() {
      return leaks;
    },
    answers,
    log: () => chunks.join(''),
    call,
    login: (username, password) => call('POST', '/api/login', { username, password }),
    async stop() {
      await handle.close();
      await db.drop();
    },
  };
}

/**
 * A TCP relay in front of a directory port that counts the connections open at once (TLS passes
 * through it untouched): how a test sees admin-api's pool, and cuts its connections like a directory
 * restart would. `host` is where it listens (another loopback address is another host name).
 */
interface Relay {
  port: number;
  /** Connections open now. */
  open: number;
  /** The most connections open at once. */
  maxOpen: number;
  total: number;
  /** Closes every connection in place (the directory "restarted"); new ones are relayed again. */
  dropAll(): void;
  close(): Promise<void>;
}

async function startRelay(targetPort: number, host = '127.0.0.1'): Promise<Relay> {
  const pairs = new Set<[Socket, Socket]>();
  const relay: Relay = {
    port: 0,
    open: 0,
    maxOpen: 0,
    total: 0,
    dropAll: () => undefined,
    close: async () => undefined,
  };
  const server = createServer((inbound) => {
    relay.open++;
    relay.total++;
    relay.maxOpen = Math.max(relay.maxOpen, relay.open);
    const outbound = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    const end = () => {
      if (pairs.delete(pair)) relay.open--;
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((ok) => server.listen(0, host, ok));
  relay.port = (server.address() as { port: number }).port;
  relay.dropAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
  };
  relay.close = async () => {
    relay.dropAll();
    await new Promise((ok) => server.close(ok));
  };
  return relay;
}

/** Waits until `check` holds, at most `ms`; answers whether it did. */
async function eventually(check: () => boolean, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return check();
}

/** A misbehaving peer where a directory should be. */
interface PeerServer {
  port: number;
  accepted: () => number;
  close(): Promise<void>;
}

/** A "directory" that accepts TCP, reads whatever comes and never answers. */
async function startSilentServer(): Promise<PeerServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('data', () => undefined); // read and stay silent
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as { port: number }).port,
    accepted: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((ok) => server.close(ok));
    },
  };
}

/**
 * A "directory" that accepts StartTLS (a success ExtendedResponse to the first request, RFC 4511
 * 4.14.2) and then never answers the TLS handshake: a peer that stalls after the upgrade.
 */
async function startStartTlsThenSilent(): Promise<PeerServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((s) => {
    accepted++;
    sockets.add(s);
    let answered = false;
    s.on('data', (b: Buffer) => {
      if (answered) return; // the ClientHello: never answered
      answered = true;
      // LDAPMessage ::= SEQUENCE { messageID INTEGER, extendedResp [APPLICATION 24] { resultCode 0, "", "" } }
      const lenBytes = b[1] & 0x80 ? b[1] & 0x7f : 0;
      const at = 2 + lenBytes; // the messageID's INTEGER
      const id = b.subarray(at, at + 2 + b[at + 1]);
      const op = Buffer.from([0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]);
      s.write(Buffer.concat([Buffer.from([0x30, id.length + op.length]), id, op]));
    });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as { port: number }).port,
    accepted: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((ok) => server.close(ok));
    },
  };
}

/** Node's codes for a chain that does not end at a trusted CA (with or without the CA sent along). */
const UNTRUSTED =
  '(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)';
const certificateRefused = (phase: 'TLS' | 'StartTLS') =>
  new RegExp(
    `LDAP connect failed: ${phase}: the directory's certificate was refused \\(${UNTRUSTED}: .*LDAP_TLS_CA_FILE`,
  );

/** The 503 of a directory that cannot be used: problem+json, the stable code, no secret, no stack. */
function expectUnavailable(res: Answer): void {
  expect(res.status).toBe(503);
  expect(res.contentType).toContain('application/problem+json');
  expect(res.body.code).toBe('IDENTITY.DIRECTORY_UNAVAILABLE');
  expect(res.body.token).toBeUndefined();
  expect(res.text).not.toContain(LDAP_SERVICE_PASSWORD);
  expect(res.text).not.toMatch(/certificate|at \S+\.js|Error:/i); // the cause is in the log, not the answer
}

describeLdap('LDAPS and StartTLS against a real slapd (issue 12, SPEC 2.1a, ADR 0024)', () => {
  let tlsDir: TestDirectory;
  let plainDir: TestDirectory;
  let work: string;
  let otherCa: TestCa;
  const apis: Api[] = [];
  const start = async (env: Record<string, string>) => {
    const api = await startApi(env);
    apis.push(api);
    return api;
  };
  /** The LDAP_* of the TLS directory at `url`, with the test CA unless `extra` says otherwise. */
  const tlsEnv = (url: string, extra: Record<string, string> = {}) => ({
    ...ldapEnvFor(tlsDir, { LDAP_URL: url }),
    LDAP_TLS_CA_FILE: tlsDir.caFile as string,
    ...extra,
  });

  beforeAll(async () => {
    [tlsDir, plainDir] = await Promise.all([startTestDirectory({ tls: true }), startTestDirectory()]);
    work = await mkdtemp(join(tmpdir(), 'gatehouse-ldap-tls-'));
    otherCa = await createTestCa(work, 'other', 'Some other CA');
  }, 60_000);

  afterEach(async () => {
    const done = apis.splice(0);
    await Promise.all(done.map((a) => a.stop()));
    for (const api of done) {
      expect(api.leaks).toEqual([]);
      // the service account's password is in no answer and no log line, nor are the users'
      expect(api.answers.filter((t) => t.includes(LDAP_SERVICE_PASSWORD))).toEqual([]);
      for (const secret of [LDAP_SERVICE_PASSWORD, ALICE_PW, BOB_PW]) expect(api.log()).not.toContain(secret);
    }
  });

  afterAll(async () => {
    await Promise.all(apis.splice(0).map((a) => a.stop()));
    await tlsDir?.destroy();
    await plainDir?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  }, 30_000);

  it('LDAPS with LDAP_TLS_CA_FILE: 200, roles from the directory groups; 10 logins at once share a pool of 2', async () => {
    const relay = await startRelay(tlsDir.ldapsPort as number);
    try {
      const api = await start(tlsEnv(`ldaps://127.0.0.1:${relay.port}`, { LDAP_POOL_SIZE: '2' }));
      const admin = (await api.login('admin', ADMIN_PASSWORD)).body.token as string;
      const role = await api.call(
        'POST',
        '/api/roles',
        {
          name: 'tls-operators',
          permissions: [{ context: 'http', resource: '/api/me', operation: 'read' }],
          externalGroups: ['operators'],
        },
        admin,
      );
      expect(role.status).toBe(201);
      const res = await api.login('alice', ALICE_PW);
      expect(res.status).toBe(200);
      const me = await api.call('GET', '/api/me', undefined, res.body.token as string);
      expect(me.status).toBe(200); // only the group role grants /api/me
      expect(me.body.username).toBe('alice');
      const users = await api.call('GET', '/api/users?username=alice', undefined, admin);
      const alice = (users.body.items as Json[])[0];
      expect(alice).toMatchObject({ identityProvider: 'ldap', groupRoles: [role.body.id] });
      expect(alice.externalGroups).toEqual(expect.arrayContaining(['operators', 'engineers']));
      // a wrong password over LDAPS is a refusal, not an outage
      expect((await api.login('alice', 'not-alices-password')).status).toBe(401);
      expect((await api.login('bob', BOB_PW)).status).toBe(200);

      const logins = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i % 2 ? api.login('bob', BOB_PW) : api.login('alice', ALICE_PW),
        ),
      );
      expect(logins.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(new Set(logins.map((r) => r.body.token)).size).toBe(10);
      expect(relay.total).toBeGreaterThanOrEqual(1);
      expect(relay.maxOpen).toBeLessThanOrEqual(2); // LDAP_POOL_SIZE: never more connections at once
    } finally {
      await relay.close();
    }
  });

  it('simultaneous first logins of a new directory user: all 200, one Gatehouse user (LDAPS, pool of 2)', async () => {
    const names = ['carl', 'cora', 'cyd', 'cleo', 'cass'];
    const root = await tlsDir.admin();
    try {
      for (const uid of names)
        await root.add(`uid=${uid},ou=people,dc=plant,dc=test`, {
          objectClass: 'inetOrgPerson',
          uid,
          cn: uid,
          sn: uid,
          userPassword: `${uid}-directory-pw-1`,
        });
    } finally {
      await root.unbind().catch(() => undefined);
    }
    const api = await start(tlsEnv(tlsDir.ldapsUrl as string, { LDAP_POOL_SIZE: '2' }));
    const admin = (await api.login('admin', ADMIN_PASSWORD)).body.token as string;
    // a few rounds: the race (a name taken by the same DN's login a moment ago) is narrow
    for (const uid of names) {
      const logins = await Promise.all(
        Array.from({ length: 8 }, () => api.login(uid, `${uid}-directory-pw-1`)),
      );
      expect(logins.map((r) => [r.status, r.body.code])).toEqual(Array(8).fill([200, undefined]));
      const users = await api.call('GET', `/api/users?username=${uid}`, undefined, admin);
      expect((users.body.items as Json[]).map((u) => [u.username, u.identityProvider])).toEqual([
        [uid, 'ldap'],
      ]);
    }
  });

  it('StartTLS on ldap:// with LDAP_STARTTLS=true: 200 (the directory refuses a simple bind without TLS)', async () => {
    const relay = await startRelay(tlsDir.port);
    try {
      const api = await start(
        tlsEnv(`ldap://127.0.0.1:${relay.port}`, { LDAP_STARTTLS: 'true', LDAP_POOL_SIZE: '2' }),
      );
      const res = await api.login('alice', ALICE_PW);
      expect(res.status).toBe(200);
      const me = await api.call('GET', '/api/me', undefined, res.body.token as string);
      expect(me.body.username).toBe('alice');
      // pooled StartTLS connections are reused for later logins, still TLS
      const logins = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          i % 2 ? api.login('bob', BOB_PW) : api.login('alice', ALICE_PW),
        ),
      );
      expect(logins.map((r) => r.status)).toEqual(Array(6).fill(200));
      expect(relay.maxOpen).toBeLessThanOrEqual(2);
    } finally {
      await relay.close();
    }
  });

  it('the same ldap:// port without LDAP_STARTTLS: the directory refuses the plain bind → 503 (what makes the StartTLS test mean something)', async () => {
    const api = await start(tlsEnv(tlsDir.url));
    expectUnavailable(await api.login('alice', ALICE_PW));
    expect(api.log()).toMatch(/LDAP directory error: confidentiality required.*LDAP_STARTTLS=true/i);
  });

  it('LDAPS without LDAP_TLS_CA_FILE (system CAs): the certificate is refused → 503 problem, the log names the TLS failure', async () => {
    const env = tlsEnv(tlsDir.ldapsUrl as string);
    delete (env as Record<string, string>).LDAP_TLS_CA_FILE;
    const api = await start(env);
    const res = await api.login('alice', ALICE_PW);
    expectUnavailable(res);
    expect(api.log()).toMatch(certificateRefused('TLS'));
    expect(api.log()).not.toContain(LDAP_SERVICE_PASSWORD);
    // local users do not depend on the directory
    expect((await api.login('admin', ADMIN_PASSWORD)).status).toBe(200);
  });

  it('LDAPS with the CA file of another CA → 503, the log names the TLS failure', async () => {
    const api = await start(tlsEnv(tlsDir.ldapsUrl as string, { LDAP_TLS_CA_FILE: otherCa.certFile }));
    expectUnavailable(await api.login('alice', ALICE_PW));
    expect(api.log()).toMatch(certificateRefused('TLS'));
  });

  it('StartTLS against a directory that does not offer it → 503, the log says so, no connection is left open', async () => {
    const relay = await startRelay(plainDir.port);
    try {
      const api = await start({
        ...ldapEnvFor(plainDir, { LDAP_URL: `ldap://127.0.0.1:${relay.port}` }),
        LDAP_STARTTLS: 'true',
        LDAP_TLS_CA_FILE: tlsDir.caFile as string,
      });
      expectUnavailable(await api.login('alice', ALICE_PW));
      expect(api.log()).toMatch(
        /LDAP connect failed: StartTLS: the directory refused StartTLS .*unsupported extended operation/,
      );
      expect(api.log()).not.toContain(LDAP_SERVICE_PASSWORD);
      expect(relay.total).toBe(1);
      expect(await eventually(() => relay.open === 0)).toBe(true);
    } finally {
      await relay.close();
    }
  });

  it('StartTLS with the CA file of another CA → 503, the log names the TLS failure, no connection is left open', async () => {
    const relay = await startRelay(tlsDir.port);
    try {
      const api = await start(
        tlsEnv(`ldap://127.0.0.1:${relay.port}`, {
          LDAP_STARTTLS: 'true',
          LDAP_TLS_CA_FILE: otherCa.certFile,
        }),
      );
      expectUnavailable(await api.login('alice', ALICE_PW));
      expect(api.log()).toMatch(certificateRefused('StartTLS'));
      expect(relay.total).toBe(1);
      expect(await eventually(() => relay.open === 0)).toBe(true);
    } finally {
      await relay.close();
    }
  });

  it.each([
    ['LDAPS', 'ldaps', {}],
    ['StartTLS', 'ldap', { LDAP_STARTTLS: 'true' }],
  ])(
    '%s to a host name the certificate does not carry (127.0.0.2) → 503, the log names the mismatch',
    async (_label, scheme, extra) => {
      const relay = await startRelay(
        scheme === 'ldaps' ? (tlsDir.ldapsPort as number) : tlsDir.port,
        '127.0.0.2',
      );
      try {
        const api = await start(tlsEnv(`${scheme}://127.0.0.2:${relay.port}`, extra));
        expectUnavailable(await api.login('alice', ALICE_PW));
        expect(relay.total).toBeGreaterThanOrEqual(1); // it did reach the directory
        expect(api.log()).toMatch(
          /LDAP connect failed: (TLS|StartTLS): the directory's certificate does not name 127\.0\.0\.2 \(ERR_TLS_CERT_ALTNAME_INVALID/,
        );
      } finally {
        await relay.close();
      }
    },
  );

  it('LDAPS to a DNS name the certificate carries (localhost): 200', async () => {
    const api = await start(tlsEnv(`ldaps://localhost:${tlsDir.ldapsPort as number}`));
    expect((await api.login('alice', ALICE_PW)).status).toBe(200);
  });

  it.each([
    ['LDAPS', 'ldaps', {}],
    ['StartTLS', 'ldap', { LDAP_STARTTLS: 'true' }],
  ])(
    '%s: a pooled connection the directory closed is not reused; the next login connects afresh at once',
    async (_label, scheme, extra) => {
      const relay = await startRelay(scheme === 'ldaps' ? (tlsDir.ldapsPort as number) : tlsDir.port);
      try {
        const api = await start(
          tlsEnv(`${scheme}://127.0.0.1:${relay.port}`, {
            LDAP_POOL_SIZE: '1',
            LDAP_TIMEOUT_MS: '3000',
            ...extra,
          }),
        );
        expect((await api.login('alice', ALICE_PW)).status).toBe(200);
        expect(relay.open).toBe(1); // kept in the pool
        relay.dropAll(); // the directory restarted
        expect(await eventually(() => relay.open === 0)).toBe(true);
        const again = await api.login('alice', ALICE_PW);
        expect(again.status).toBe(200);
        expect(again.ms).toBeLessThan(2000); // not after LDAP_TIMEOUT_MS on a dead connection
        expect(relay.total).toBe(2);
        // and the shutdown does not wait on it either
        relay.dropAll();
        expect(await eventually(() => relay.open === 0)).toBe(true);
        const stopping = Date.now();
        await apis.splice(apis.indexOf(api), 1)[0].stop();
        expect(Date.now() - stopping).toBeLessThan(2500);
        expect(api.leaks).toEqual([]);
      } finally {
        await relay.close();
      }
    },
  );

  it('StartTLS accepted but the TLS handshake never answered: 503 within about LDAP_TIMEOUT_MS, no connection left open', async () => {
    const stall = await startStartTlsThenSilent();
    try {
      const api = await start({
        ...ldapEnvFor(plainDir, { LDAP_URL: `ldap://127.0.0.1:${stall.port}` }),
        LDAP_STARTTLS: 'true',
        LDAP_TIMEOUT_MS: '800',
      });
      const res = await api.login('alice', ALICE_PW);
      expectUnavailable(res);
      expect(stall.accepted()).toBe(1);
      expect(res.ms).toBeLessThan(800 + 1500);
      expect(api.log()).toMatch(/LDAP connect failed: .*(timeout|timed out)/i);
    } finally {
      await stall.close();
    }
  });

  it.each([
    ['ldap://', 'ldap', {}],
    ['ldaps:// (the TLS handshake never completes)', 'ldaps', {}],
    ['ldap:// with StartTLS (the extended operation is never answered)', 'ldap', { LDAP_STARTTLS: 'true' }],
  ])(
    'a directory that accepts TCP and never answers, %s: 503 within about LDAP_TIMEOUT_MS, no hang',
    async (_label, scheme, extra) => {
      const silent = await startSilentServer();
      try {
        const api = await start({
          ...ldapEnvFor(plainDir, { LDAP_URL: `${scheme}://127.0.0.1:${silent.port}` }),
          LDAP_TIMEOUT_MS: '800',
          ...extra,
        });
        const res = await api.login('alice', ALICE_PW);
        expectUnavailable(res);
        expect(silent.accepted()).toBeGreaterThanOrEqual(1);
        expect(res.ms).toBeGreaterThanOrEqual(700); // it did wait for the directory…
        expect(res.ms).toBeLessThan(800 + 1500); // …but only about LDAP_TIMEOUT_MS
        expect(api.log()).toMatch(/LDAP (connect failed|directory error): .*(timeout|timed out)/i);
        // a second login is bounded the same way (the hung connection is not reused)
        const again = await api.login('bob', BOB_PW);
        expectUnavailable(again);
        expect(again.ms).toBeLessThan(800 + 1500);
      } finally {
        await silent.close();
      }
    },
  );
});
