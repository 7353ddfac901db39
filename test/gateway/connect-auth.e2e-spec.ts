/**
 * Issue 3 "Done when" 5 and 7, and the CONNECT protection: CONNACK codes (MQTT 3.1.1 §3.2.2.3), tokens
 * as passwords, wills checked at CONNECT and when they fire, failed-CONNECT limits, the verification
 * cache, and admin-api unreachable (CONNACK 3).
 */
import type { MqttClient } from 'mqtt';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  type GatewayStack,
  startGatewayStack,
} from '../support/gateway/stack';
import {
  type Endpoint,
  Inbox,
  clientDisconnected,
  closed,
  connackCode,
  connectClient,
  receivedBeforeMarker,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';

jest.setTimeout(30_000);

const PASSWORD = 'Device-password-1';

describe('broker gateway: CONNECT (SPEC 3)', () => {
  let stack: GatewayStack;
  let e: Endpoint;
  let witness: MqttClient;
  let witnessInbox: Inbox;
  let willRole: string;
  const open: MqttClient[] = [];
  const track = (c: MqttClient): MqttClient => {
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    stack = await startGatewayStack({ gatewayEnv: { LOGIN_FAILURES_PER_USERNAME: '3' } });
    e = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    witness = await connectClient(e, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
    witnessInbox = new Inbox(witness);
    expect(await subscribeCodes(witness, ['wills/#'])).toEqual([0]);
    willRole = (
      await stack.rest.createRole('will-writer', [
        { context: 'mqtt', resource: 'wills/allowed/#', operation: 'write' },
        { context: 'mqtt', resource: 'wills/#', operation: 'read' },
      ])
    ).id;
  }, 60_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    await witness?.endAsync(true);
    await stack?.close();
  }, 30_000);

  /** Drops the TCP connection without DISCONNECT (the will fires) and waits until the broker noticed. */
  const drop = async (c: MqttClient, id: string): Promise<void> => {
    const gone = clientDisconnected(stack.broker, id);
    c.stream.destroy();
    await gone;
  };

  it('case 5: wrong password → CONNACK 4; unknown user → CONNACK 4 (same answer, no enumeration)', async () => {
    await stack.rest.createUser({ username: 'known-device', password: PASSWORD });
    expect(await connackCode(e, { username: 'known-device', password: 'Wrong-password-1' })).toBe(4);
    expect(await connackCode(e, { username: 'nobody-here', password: PASSWORD })).toBe(4);
    expect(await connackCode(e, { username: 'known-device' })).toBe(4);
    expect(await connackCode(e, {})).toBe(4);
    expect(await connackCode(e, { username: 'known-device', password: PASSWORD })).toBe(0);
  });

  it('a token issued to the user works as the MQTT password; revoking it disconnects that session only', async () => {
    const user = await stack.rest.createUser({
      username: 'token-device',
      password: PASSWORD,
      grantTypes: [
        { method: 'password', isRequired: false },
        { method: 'token', isRequired: false }, // a token as the MQTT password needs it (ADR 0011)
      ],
    });
    const token = await stack.rest.loginAs('token-device', PASSWORD, 'mqtt');
    const byToken = track(await connectClient(e, { username: 'token-device', password: token }));
    const byPassword = track(await connectClient(e, { username: 'token-device', password: PASSWORD }));
    // A token of another user is not a password of this one.
    expect(await connackCode(e, { username: ADMIN_USERNAME, password: token })).toBe(4);
    const [t] = (await stack.rest.tokens(user.id)).filter((x) => x.label === 'mqtt');
    const gone = closed(byToken);
    const applied = stack.changeApplied(user.id);
    await stack.rest.revokeToken(user.id, t.id);
    await gone;
    await applied;
    expect(byPassword.connected).toBe(true);
    expect(await connackCode(e, { username: 'token-device', password: token })).toBe(4);
  });

  it('case 7: a will to a topic the user may not write is not published when the client drops', async () => {
    await stack.rest.createUser({ username: 'will-forbidden', password: PASSWORD, roles: [willRole] });
    const c = await connectClient(e, {
      username: 'will-forbidden',
      password: PASSWORD,
      clientId: 'will-forbidden-1',
      will: { topic: 'wills/forbidden/w', payload: Buffer.from('dead'), qos: 1, retain: false },
    });
    await drop(c, 'will-forbidden-1');
    expect(await receivedBeforeMarker(witness, witnessInbox, 'wills/marker')).not.toContain(
      'wills/forbidden/w',
    );
  });

  it('case 7: a will to a topic the user may write is published when the client drops', async () => {
    await stack.rest.createUser({ username: 'will-allowed', password: PASSWORD, roles: [willRole] });
    const c = await connectClient(e, {
      username: 'will-allowed',
      password: PASSWORD,
      clientId: 'will-allowed-1',
      will: { topic: 'wills/allowed/w', payload: Buffer.from('dead'), qos: 1, retain: false },
    });
    await drop(c, 'will-allowed-1');
    expect((await witnessInbox.waitForTopic('wills/allowed/w')).payload).toBe('dead');
  });

  it('case 7: the will is checked again when it fires: write revoked after CONNECT → not published', async () => {
    const role = await stack.rest.createRole('will-late', [
      { context: 'mqtt', resource: 'wills/late/#', operation: 'write' },
    ]);
    const user = await stack.rest.createUser({ username: 'will-late', password: PASSWORD, roles: [role.id] });
    const c = await connectClient(e, {
      username: 'will-late',
      password: PASSWORD,
      clientId: 'will-late-1',
      will: { topic: 'wills/late/w', payload: Buffer.from('dead'), qos: 1, retain: false },
    });
    const applied = stack.changeApplied(user.id);
    await stack.rest.updateRole(role.id, [{ context: 'mqtt', resource: 'elsewhere/#', operation: 'write' }]);
    await applied;
    await drop(c, 'will-late-1');
    expect(await receivedBeforeMarker(witness, witnessInbox, 'wills/marker')).not.toContain('wills/late/w');
  });

  it('failed CONNECTs are limited per username: past the limit even the right password gets CONNACK 5 without asking admin-api', async () => {
    await stack.rest.createUser({ username: 'guessed', password: PASSWORD });
    for (let i = 0; i < 3; i++)
      expect(await connackCode(e, { username: 'guessed', password: `Wrong-guess-${i}` })).toBe(4);
    expect(await connackCode(e, { username: 'guessed', password: PASSWORD })).toBe(5);
    // Other usernames are not affected.
    await stack.rest.createUser({ username: 'not-guessed', password: PASSWORD });
    expect(await connackCode(e, { username: 'not-guessed', password: PASSWORD })).toBe(0);
  });

  // Last: stops admin-api.
  it('case 5: admin-api stopped → CONNACK 3 for a user never seen before; a recently verified device still connects from the cache', async () => {
    await stack.rest.createUser({ username: 'seen-before', password: PASSWORD, roles: [willRole] });
    await stack.rest.createUser({ username: 'never-seen', password: PASSWORD });
    expect(await connackCode(e, { username: 'seen-before', password: PASSWORD })).toBe(0);
    await stack.stopAdminApi();
    expect(await connackCode(e, { username: 'never-seen', password: PASSWORD })).toBe(3);
    // The cache holds successes only, keyed by the credential: a wrong password cannot be decided either.
    expect(await connackCode(e, { username: 'seen-before', password: 'Wrong-password-1' })).toBe(3);
    const c = track(await connectClient(e, { username: 'seen-before', password: PASSWORD }));
    expect(await subscribeCodes(c, ['wills/#', '#'])).toEqual([0, 0x80]);
  });
});
