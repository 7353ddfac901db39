/**
 * Issue 3 "Done when" 10: clients nobody here wrote (Debian mosquitto-clients) against the gateway.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import type { Client as AedesClient, Subscription } from 'aedes';
import { type GatewayStack, startGatewayStack } from '../support/gateway/stack';
import { brokerEvent, withTimeout } from '../support/gateway/mqtt-helpers';

jest.setTimeout(30_000);

const run = promisify(execFile);
const PASSWORD = 'Device-password-1';

describe('broker gateway with mosquitto_pub / mosquitto_sub', () => {
  let stack: GatewayStack;
  let port: string;

  beforeAll(async () => {
    stack = await startGatewayStack();
    port = String(stack.gateway.ports.mqtt);
    const role = await stack.rest.createRole('mosquitto-device', [
      { context: 'mqtt', resource: 'sensors/+/temp', operation: 'write' },
      { context: 'mqtt', resource: 'sensors/#', operation: 'read' },
    ]);
    await stack.rest.createUser({ username: 'mosq-device', password: PASSWORD, roles: [role.id] });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  }, 30_000);

  it('mosquitto_sub receives what mosquitto_pub publishes under the same permissions', async () => {
    const subscribed = brokerEvent<[Subscription[], AedesClient]>(
      stack.broker,
      'subscribe',
      (_s, c) => c.id === 'mosq-sub-1',
    );
    const sub = spawn('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-V',
      'mqttv311',
      '-i',
      'mosq-sub-1',
      '-u',
      'mosq-device',
      '-P',
      PASSWORD,
      '-t',
      'sensors/#',
      '-C',
      '1',
      '-v',
    ]);
    let out = '';
    sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = once(sub, 'exit');
    try {
      await subscribed;
      await run('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        port,
        '-V',
        'mqttv311',
        '-u',
        'mosq-device',
        '-P',
        PASSWORD,
        '-t',
        'sensors/m1/temp',
        '-m',
        '22.5',
        '-q',
        '1',
      ]);
      const [code] = await withTimeout(exited, 10_000, 'mosquitto_sub to exit');
      expect(code).toBe(0);
      expect(out.trim()).toBe('sensors/m1/temp 22.5');
    } finally {
      sub.kill();
    }
  });

  it('mosquitto_pub with a wrong password is refused with "bad user name or password" (CONNACK 4)', async () => {
    const err = await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-V',
      'mqttv311',
      '-u',
      'mosq-device',
      '-P',
      'Wrong-password-1',
      '-t',
      'sensors/m1/temp',
      '-m',
      'x',
    ]).then(
      () => null,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(err).not.toBeNull();
    expect(err?.code).not.toBe(0);
    expect(err?.stderr ?? '').toMatch(/bad user name or password/i);
  });
});
