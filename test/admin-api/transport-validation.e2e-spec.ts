/**
 * admin-api validates every transport message as strictly as HTTP bodies (issue 9, defect 10; SPEC 5,
 * CONVENTIONS "Validate at every edge"): an invalid message answers a clean error with a stable code,
 * is logged as a warning naming the problem, and never reaches the database (a NUL byte used to fail
 * in PostgreSQL: `invalid byte sequence for encoding "UTF8": 0x00`, logged as an error).
 */
import { Logger } from '@nestjs/common';
import { type ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import {
  AuditPatterns,
  GatewayPatterns,
  IdentityPatterns,
  parseTransportUrl,
  transportClientOptions,
} from '@gatehouse/contracts';
import { createTestDatabase, type TestDatabase } from '@gatehouse/testing';
import { firstValueFrom, timeout } from 'rxjs';
import { type AdminApiHandle, createAdminApi } from '../../apps/admin-api/src/bootstrap';
import { adminEnvFor } from '../support/gateway/stack';

jest.setTimeout(30_000);

describe('admin-api transport: every message is validated (SPEC 5)', () => {
  let db: TestDatabase;
  let admin: AdminApiHandle;
  let client: ClientProxy;
  let warnings: string[];
  let errors: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    admin = await createAdminApi(adminEnvFor(db, 'tcp://127.0.0.1:0'), { logger: ['error'] });
    client = ClientProxyFactory.create(transportClientOptions(parseTransportUrl(admin.transportUrl)));
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await admin?.close();
    await db?.drop();
  });

  beforeEach(() => {
    warnings = [];
    errors = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((m: unknown) => {
      warnings.push(String(m));
    });
    jest.spyOn(Logger.prototype, 'error').mockImplementation((m: unknown) => {
      errors.push(String(m instanceof Error ? m.message : m));
    });
  });

  afterEach(() => jest.restoreAllMocks());

  const send = (pattern: string, payload: unknown): Promise<unknown> =>
    firstValueFrom(client.send<unknown>(pattern, payload).pipe(timeout(5000)));

  const refused = async (pattern: string, payload: unknown, problem: RegExp): Promise<void> => {
    let answer: unknown;
    try {
      answer = await send(pattern, payload);
    } catch (err) {
      answer = err;
    }
    expect(answer).toMatchObject({ code: 'CONTRACTS.INVALID_MESSAGE' });
    expect(JSON.stringify(answer)).not.toMatch(/PostgreSQL|byte sequence|QueryFailed|at \w+ \(/);
    expect(warnings.filter((w) => problem.test(w))).not.toEqual([]);
    expect(errors).toEqual([]);
  };

  const valid = { username: 'device-1', password: 'secret-1', clientId: 'c1' };

  it.each([
    ['a username with a NUL byte', { ...valid, username: 'ali\u0000ce' }, /username/],
    ['a username with a slash', { ...valid, username: 'a/b' }, /username/],
    ['a username over 128 characters', { ...valid, username: 'a'.repeat(129) }, /username/],
    ['a client id with a NUL byte', { ...valid, clientId: 'c\u0000' }, /clientId/],
    ['a password over 65,535 characters', { ...valid, password: 'p'.repeat(65_536) }, /password/],
    ['a remote address that is no IP', { ...valid, remoteAddress: 'x\u0000' }, /remoteAddress/],
    [
      'a fingerprint that is not SHA-256 hex',
      { ...valid, certificateFingerprint: 'zz' },
      /certificateFingerprint/,
    ],
    ['an unknown field', { ...valid, role: 'admin' }, /role/],
    ['a payload that is no object', 'username', /payload must be an object/],
  ])(
    'AUTHENTICATE with %s answers CONTRACTS.INVALID_MESSAGE and logs a warning',
    async (_what, payload, problem) => {
      await refused(IdentityPatterns.AUTHENTICATE, payload, problem);
    },
  );

  it('RESOLVE_PRINCIPAL with a user id holding a NUL byte answers CONTRACTS.INVALID_MESSAGE', async () => {
    await refused(IdentityPatterns.RESOLVE_PRINCIPAL, { userId: 'x\u0000' }, /userId/);
  });

  it.each([
    [
      'a subject holding a NUL byte',
      { provider: 'oidc', issuer: 'https://sso.test', subject: 'a\u0000' },
      /subject/,
    ],
    ['another provider kind', { provider: 'ldap', issuer: 'ldap', subject: 'uid=a' }, /provider/],
    ['no issuer', { provider: 'oidc', subject: 'abc' }, /issuer/],
  ])(
    'RESOLVE_FEDERATED_PRINCIPAL with %s answers CONTRACTS.INVALID_MESSAGE',
    async (_what, payload, problem) => {
      await refused(IdentityPatterns.RESOLVE_FEDERATED_PRINCIPAL, payload, problem);
    },
  );

  it('REGISTER with a host holding a NUL byte answers CONTRACTS.INVALID_MESSAGE', async () => {
    await refused(
      GatewayPatterns.REGISTER,
      { gatewayId: 'g\u0000', host: '127.0.0.1', port: 1 },
      /gatewayId/,
    );
  });

  it('a valid AUTHENTICATE of an unknown user is answered as usual', async () => {
    expect(await send(IdentityPatterns.AUTHENTICATE, valid)).toMatchObject({ outcome: 'bad-credentials' });
    expect(errors).toEqual([]);
  });

  const refusal = {
    action: 'mqtt.publish.denied',
    minute: '2025-01-01T10:00:00.000Z',
    clientId: 'c1',
    username: 'device-1',
    userId: null,
    topic: 'a/b',
    sourceAddress: '127.0.0.1',
    count: 3,
  };

  it.each([
    ['an unknown action', { ...refusal, action: 'mqtt.anything' }, /action/],
    ['a count of 0', { ...refusal, count: 0 }, /count/],
    ['a minute that is no ISO time', { ...refusal, minute: 'now' }, /minute/],
    ['a user id that is no uuid', { ...refusal, userId: 'x' }, /userId/],
    ['an unknown field', { ...refusal, hash: 'f'.repeat(64) }, /hash/],
  ])('RECORD_MQTT_REFUSALS with %s answers CONTRACTS.INVALID_MESSAGE', async (_what, r, problem) => {
    await refused(AuditPatterns.RECORD_MQTT_REFUSALS, { gatewayId: 'g1', refusals: [r] }, problem);
  });

  it('RECORD_MQTT_REFUSALS with more than 1000 entries is refused; a valid batch is recorded', async () => {
    await refused(
      AuditPatterns.RECORD_MQTT_REFUSALS,
      { gatewayId: 'g1', refusals: Array.from({ length: 1001 }, () => refusal) },
      /refusals/,
    );
    const topicWithNul = { ...refusal, topic: 'a/\u0000b' };
    expect(
      await send(AuditPatterns.RECORD_MQTT_REFUSALS, { gatewayId: 'g1', refusals: [refusal, topicWithNul] }),
    ).toEqual({ recorded: 2 });
    expect(errors).toEqual([]);
  });
});
