import 'reflect-metadata';
import type { AuthenticateRequestDto, AuthenticateResultDto } from '@gatehouse/contracts';
import { loadGatewayConfig } from '../../config/gateway.config';
import { ChangeClock } from '../../sessions/change-clock';
import type { IdentityClient } from '../../transport/identity-client.service';
import type { AedesClient } from '../aedes.types';
import { AuthAbandonedError, AuthAdmission } from './auth-admission.service';
import { CredentialVerifier } from './credential-verifier.service';

const ok: AuthenticateResultDto = {
  outcome: 'ok',
  method: 'password',
  principal: { userId: 'u1', username: 'dev1', enabled: true, permissions: [], permissionsVersion: 1 },
};

describe('CredentialVerifier (ADR 0100: single-flight)', () => {
  let answers: ((r: AuthenticateResultDto) => void)[];
  let identity: { authenticate: jest.Mock };
  let clock: ChangeClock;
  let verifier: CredentialVerifier;
  const client = (closed = false): AedesClient => ({ id: 'c', closed }) as unknown as AedesClient;
  const req = (): AuthenticateRequestDto => ({ username: 'dev1', clientId: 'c', password: 'pw' });

  beforeEach(() => {
    answers = [];
    identity = {
      authenticate: jest.fn(() => new Promise<AuthenticateResultDto>((resolve) => answers.push(resolve))),
    };
    clock = new ChangeClock();
    verifier = new CredentialVerifier(
      identity as unknown as IdentityClient,
      new AuthAdmission(loadGatewayConfig({ MQTT_AUTH_CONCURRENCY: '1' })),
      clock,
    );
  });

  it('coalesces simultaneous CONNECTs with the same credentials into one request', async () => {
    const a = verifier.verify('k1', client(), req);
    const b = verifier.verify('k1', client(), req);
    const other = verifier.verify('k2', client(), req);
    expect(identity.authenticate).toHaveBeenCalledTimes(1);
    expect(b.result).toBe(a.result);
    expect(verifier.pending).toBe(2);
    answers[0](ok);
    await expect(Promise.all([a.result, b.result])).resolves.toEqual([ok, ok]);
    await new Promise((r) => setImmediate(r));
    expect(identity.authenticate).toHaveBeenCalledTimes(2); // k2 went once k1's slot was free
    answers[1](ok);
    await other.result;
    expect(verifier.pending).toBe(0);
  });

  it('never reuses an answer after it arrived (negative answers are not cached)', async () => {
    const bad: AuthenticateResultDto = { outcome: 'bad-credentials' };
    const a = verifier.verify('k1', client(), req);
    answers[0](bad);
    await expect(a.result).resolves.toEqual(bad);
    await new Promise((r) => setImmediate(r));
    const b = verifier.verify('k1', client(), req);
    expect(identity.authenticate).toHaveBeenCalledTimes(2);
    answers[1](ok);
    await expect(b.result).resolves.toEqual(ok);
  });

  it('a follower gets the clock position of the flight, so a change event meanwhile is seen', () => {
    const a = verifier.verify('k1', client(), req);
    clock.tick('u1');
    const b = verifier.verify('k1', client(), req);
    expect(b.startedAt).toBe(a.startedAt);
    expect(clock.changedSince('u1', b.startedAt)).toBe(true);
  });

  it('a queued flight is dropped only when every waiting client is gone', async () => {
    const busy = verifier.verify('k0', client(), req); // holds the only slot
    const goneA = client();
    const alive = client();
    const shared = verifier.verify('k1', goneA, req);
    verifier.verify('k1', alive, req);
    const lonely = client();
    const dropped = verifier.verify('k2', lonely, req);
    (goneA as { closed: boolean }).closed = true;
    (lonely as { closed: boolean }).closed = true;
    answers[0](ok);
    await busy.result;
    await new Promise((r) => setImmediate(r));
    expect(identity.authenticate).toHaveBeenCalledTimes(2); // k1: one of its clients is still there
    answers[1](ok);
    await expect(shared.result).resolves.toEqual(ok);
    await expect(dropped.result).rejects.toBeInstanceOf(AuthAbandonedError);
    expect(identity.authenticate).toHaveBeenCalledTimes(2); // never k2
  });
});
