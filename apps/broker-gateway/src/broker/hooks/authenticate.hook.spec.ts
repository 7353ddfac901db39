import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { AuthenticateRequestDto, AuthenticateResultDto } from '@gatehouse/contracts';
import { loadGatewayConfig } from '../../config/gateway.config';
import { ChangeClock } from '../../sessions/change-clock';
import { MatcherPool } from '../../sessions/matcher-pool.service';
import { SessionRegistry } from '../../sessions/session-registry.service';
import type { IdentityClient } from '../../transport/identity-client.service';
import type { AedesClient } from '../aedes.types';
import { AccessTokenAuthenticator } from '../connect/access-token-authenticator.service';
import { ProviderKeys } from '../connect/provider-keys.service';
import { AuthAdmission } from '../connect/auth-admission.service';
import { ClientIdOwnership } from '../connect/client-id-ownership.service';
import { ConnectThrottle } from '../connect/connect-throttle.service';
import { CredentialVerifier } from '../connect/credential-verifier.service';
import { VerificationCache } from '../connect/verification-cache.service';
import { RefusalAggregator } from '../../audit/refusal-aggregator.service';
import { AuthenticateHook } from './authenticate.hook';

const ok = (username: string): AuthenticateResultDto => ({
  outcome: 'ok',
  method: 'password',
  principal: {
    userId: `00000000-0000-4000-8000-${String(username.length).padStart(12, '0')}`,
    username,
    enabled: true,
    permissionsVersion: 1,
    permissions: [{ context: 'mqtt', resource: 'devices/${username}/#', operation: 'readWrite' }],
  },
});

interface Outcome {
  code: number | null;
}

describe('AuthenticateHook: admission queue and single-flight (ADR 0100)', () => {
  let pending: { req: AuthenticateRequestDto; answer: (r: AuthenticateResultDto) => void }[];
  let hook: AuthenticateHook;
  let registry: SessionRegistry;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    const config = loadGatewayConfig({ MQTT_AUTH_CONCURRENCY: '1', MQTT_AUTH_QUEUE_MAX: '1' });
    pending = [];
    const identity = {
      authenticate: (req: AuthenticateRequestDto) =>
        new Promise<AuthenticateResultDto>((answer) => pending.push({ req, answer })),
    } as unknown as IdentityClient;
    const clock = new ChangeClock();
    registry = new SessionRegistry();
    hook = new AuthenticateHook(
      identity,
      registry,
      new ConnectThrottle(config),
      new VerificationCache(config),
      clock,
      new CredentialVerifier(identity, new AuthAdmission(config), clock),
      new MatcherPool(config),
      new ClientIdOwnership(config),
      new RefusalAggregator(config, identity),
      new AccessTokenAuthenticator(
        config,
        new ProviderKeys(config),
        identity,
        new VerificationCache(config),
        clock,
      ),
    );
  });

  const client = (id: string): AedesClient & { closed: boolean } =>
    ({
      id,
      closed: false,
      conn: Object.assign(new EventEmitter(), { remoteAddress: '10.0.0.1' }),
      _will: null,
    }) as unknown as AedesClient & { closed: boolean };

  const connect = (
    c: AedesClient,
    username: string,
    password = 'pw',
  ): { outcome: Outcome; done: Promise<void> } => {
    const outcome: Outcome = { code: null };
    const done = new Promise<void>((resolve) =>
      hook.handle(c, username, Buffer.from(password), (err) => {
        outcome.code = err ? err.returnCode : 0;
        resolve();
      }),
    );
    return { outcome, done };
  };
  const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

  it('one request in flight, one waiting, the next refused at once with CONNACK 3', async () => {
    const a = connect(client('a'), 'dev-a');
    const b = connect(client('b'), 'dev-bb');
    const c = connect(client('c'), 'dev-ccc');
    await c.done;
    expect(c.outcome.code).toBe(3);
    expect(pending.map((p) => p.req.username)).toEqual(['dev-a']);
    pending[0].answer(ok('dev-a'));
    await a.done;
    await flush();
    expect(pending.map((p) => p.req.username)).toEqual(['dev-a', 'dev-bb']); // sent only now
    pending[1].answer(ok('dev-bb'));
    await b.done;
    expect([a.outcome.code, b.outcome.code]).toEqual([0, 0]);
    expect(registry.size).toBe(2);
  });

  it('coalesces simultaneous CONNECTs with the same credentials; their sessions share one matcher', async () => {
    const c1 = client('c1');
    const c2 = client('c2');
    const a = connect(c1, 'dev1');
    const b = connect(c2, 'dev1');
    await flush(); // the failed-CONNECT limits are checked first (asynchronous, ADR 0003)
    expect(pending).toHaveLength(1);
    pending[0].answer(ok('dev1'));
    await Promise.all([a.done, b.done]);
    expect([a.outcome.code, b.outcome.code]).toEqual([0, 0]);
    expect(registry.get(c1)!.permissions).toBe(registry.get(c2)!.permissions);
    expect(registry.get(c1)!.permissions.canPublish('devices/dev1/t')).toBe(true);
  });

  it('does not coalesce a different password, and does not reuse a refusal', async () => {
    const a = connect(client('c1'), 'dev1', 'right');
    const b = connect(client('c2'), 'dev1', 'wrong');
    await flush();
    pending[0].answer(ok('dev1'));
    await a.done;
    await flush();
    expect(pending).toHaveLength(2);
    pending[1].answer({ outcome: 'bad-credentials' });
    await b.done;
    expect(b.outcome.code).toBe(4);
    const again = connect(client('c3'), 'dev1', 'wrong');
    await flush();
    expect(pending).toHaveLength(3); // asked again: negative answers are never cached
    pending[2].answer({ outcome: 'bad-credentials' });
    await again.done;
    expect(again.outcome.code).toBe(4);
  });

  it('drops a queued CONNECT whose client disconnected, without asking admin-api', async () => {
    const a = connect(client('a'), 'dev-a');
    const gone = client('gone');
    const b = connect(gone, 'dev-bb');
    await flush();
    gone.closed = true;
    pending[0].answer(ok('dev-a'));
    await Promise.all([a.done, b.done]);
    expect(pending).toHaveLength(1);
    expect(registry.size).toBe(1);
  });
});
