import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { AedesClient } from '../aedes.types';
import { refuseMqtt5 } from './protocol-version';

/** A client whose connection is a real stream (what is written can be read back) and whose broker records events. */
function clientOn(conn: PassThrough): { client: AedesClient; events: [string, unknown][] } {
  const broker = new EventEmitter();
  const events: [string, unknown][] = [];
  broker.on('connackSent', (packet: unknown) => events.push(['connackSent', packet]));
  return { client: { conn, broker } as unknown as AedesClient, events };
}

const run = (
  chain: ReturnType<typeof refuseMqtt5>,
  client: AedesClient,
  packet: { protocolVersion?: number; clientId?: string },
): Promise<{ err: Error | null; ok: boolean }> =>
  new Promise((resolve) => chain(client, packet, (err, ok) => resolve({ err, ok })));

describe('refuseMqtt5 (ADR 0105, preConnect)', () => {
  it.each([3, 4])(
    'passes a protocol level %i CONNECT to the next preConnect untouched, writing nothing',
    async (level) => {
      const conn = new PassThrough();
      const { client, events } = clientOn(conn);
      const next = jest.fn((_c: unknown, _p: unknown, done: (e: Error | null, ok: boolean) => void) =>
        done(null, true),
      );
      const packet = { protocolVersion: level, clientId: 'dev-1' };
      expect(await run(refuseMqtt5(next), client, packet)).toEqual({ err: null, ok: true });
      expect(next).toHaveBeenCalledWith(client, packet, expect.any(Function));
      expect(conn.read()).toBeNull();
      expect(events).toEqual([]);
    },
  );

  it('[MQTT-3.1.2-2] answers level 5 with the MQTT 5 CONNACK 0x84 and refuses, without calling the next preConnect', async () => {
    const conn = new PassThrough();
    const { client, events } = clientOn(conn);
    const next = jest.fn();
    const { err, ok } = await run(refuseMqtt5(next), client, { protocolVersion: 5, clientId: 'v5\u0000dev' });
    expect(ok).toBe(false);
    expect((conn.read() as Buffer).toString('hex')).toBe('2003008400');
    expect(err?.message).toMatch(
      /^CONNECT of client "v5\\u0000dev" refused with CONNACK 0x84 \(unsupported protocol version\)/,
    );
    expect(err?.message).toMatch(/MQTT 5 \(protocol level 5\).*MQTT 3\.1\.1 and 3\.1/);
    expect(next).not.toHaveBeenCalled();
    expect(events).toEqual([['connackSent', { returnCode: 1, reasonCode: 0x84 }]]);
  });

  it('shows at most 128 characters of a long client id in the refusal', async () => {
    const { client } = clientOn(new PassThrough());
    const { err } = await run(refuseMqtt5(jest.fn()), client, {
      protocolVersion: 5,
      clientId: 'x'.repeat(60_000),
    });
    expect(err?.message).toContain(`"${'x'.repeat(128)}…"`);
    expect(err?.message.length).toBeLessThan(400);
  });

  it('refuses level 5 on a connection already destroyed without writing to it', async () => {
    const conn = new PassThrough();
    conn.destroy();
    const { client, events } = clientOn(conn);
    const write = jest.spyOn(conn, 'write');
    const { err, ok } = await run(refuseMqtt5(jest.fn()), client, { protocolVersion: 5 });
    expect(ok).toBe(false);
    expect(err?.message).toContain('client ""');
    expect(write).not.toHaveBeenCalled();
    expect(events).toEqual([]);
  });
});
