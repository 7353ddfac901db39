/**
 * Issue 11 "Done when" (part 1): deny rules (SPEC 1.4.6) and QoS/retain limits (SPEC 1.4.7) enforced by
 * the gateway with real sockets, a real admin-api and a real database; and `MQTT_DENY_ACTION=ignore`
 * (SPEC 3): a refused QoS 1/2 PUBLISH is acknowledged and dropped, never delivered nor retained.
 */
import type { MqttClient } from 'mqtt';
import { PacketAuthorizationHook } from '../../apps/broker-gateway/src/broker/hooks/packet-authorization.hook';
import { GatewayMetrics } from '../../apps/broker-gateway/src/metrics/gateway-metrics.service';
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
  connectClient,
  receivedBeforeMarker,
  retainedTopics,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';
import type { PermissionBody } from '../support/gateway/admin-rest-client';

jest.setTimeout(30_000);

const PASSWORD = 'Device-password-1';

const PLANT_READER: PermissionBody[] = [
  { context: 'mqtt', resource: 'plant/#', operation: 'read' },
  { context: 'mqtt', resource: 'plant/secret/#', operation: 'read', effect: 'deny' },
];

describe.each(['disconnect', 'ignore'] as const)(
  'broker gateway: deny rules and QoS/retain limits (SPEC 1.4.6-7), MQTT_DENY_ACTION=%s',
  (action) => {
    let stack: GatewayStack;
    let e: Endpoint;
    let witness: MqttClient;
    let witnessInbox: Inbox;
    let users = 0;
    const open: MqttClient[] = [];
    const track = (c: MqttClient): MqttClient => {
      open.push(c);
      return c;
    };

    beforeAll(async () => {
      stack = await startGatewayStack({ gatewayEnv: { MQTT_DENY_ACTION: action } });
      e = { kind: 'tcp', port: stack.gateway.ports.mqtt };
      witness = await connectClient(e, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
      witnessInbox = new Inbox(witness);
      expect(await subscribeCodes(witness, ['#'])).toEqual([0]);
    }, 60_000);

    afterEach(async () => {
      await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
    });

    afterAll(async () => {
      await witness?.endAsync(true).catch(() => undefined);
      await stack?.close();
    }, 30_000);

    /** A new user with these direct permissions, connected. */
    const device = async (permissions: PermissionBody[], opts: { clientId?: string } = {}) => {
      const username = `dev-${action}-${++users}`;
      const user = await stack.rest.createUser({ username, password: PASSWORD, permissions });
      const client = track(await connectClient(e, { username, password: PASSWORD, ...opts }));
      return { user, client };
    };

    /**
     * Publishes a PUBLISH the gateway refuses: with `disconnect` the connection closes without an
     * acknowledgement [MQTT-3.3.5-2]; with `ignore` it is acknowledged (PUBACK; PUBREC/PUBCOMP) and the
     * connection stays. Either way it is neither delivered (to the admin's `#`) nor retained.
     */
    const expectRefused = async (
      c: MqttClient,
      topic: string,
      opts: { qos: 0 | 1 | 2; retain?: boolean },
    ): Promise<void> => {
      const before = stack.gateway.app.get(PacketAuthorizationHook).ignoredPublishes;
      const exposedBefore = stack.gateway.app.get(GatewayMetrics).decisions.publishIgnored;
      if (action === 'disconnect') {
        c.publish(topic, 'refused', { qos: opts.qos, retain: opts.retain ?? false });
        await closed(c);
      } else {
        await c.publishAsync(topic, 'refused', { qos: opts.qos, retain: opts.retain ?? false });
        expect(c.connected).toBe(true);
      }
      expect(await receivedBeforeMarker(witness, witnessInbox, `marker/${action}`)).not.toContain(topic);
      expect(await retainedTopics(stack.broker, topic)).toEqual([]);
      const after = stack.gateway.app.get(PacketAuthorizationHook).ignoredPublishes;
      expect(after - before).toBe(action === 'ignore' ? 1 : 0);
      // what gatehouse_mqtt_publishes_ignored_total reads at scrape time
      expect(stack.gateway.app.get(GatewayMetrics).decisions.publishIgnored - exposedBefore).toBe(
        action === 'ignore' ? 1 : 0,
      );
    };

    it('allow plant/# + deny read plant/secret/#: plant/# is granted and delivers plant/a, never plant/secret/b (retained or live); plant/secret/# → 0x80', async () => {
      const admin = track(await connectClient(e, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD }));
      await admin.publishAsync('plant/secret/retained', 'r-secret', { qos: 1, retain: true });
      await admin.publishAsync('plant/open/retained', 'r-open', { qos: 1, retain: true });
      const { client } = await device(PLANT_READER);
      const inbox = new Inbox(client);
      expect(await subscribeCodes(client, ['plant/#', 'plant/secret/#', 'plant/secret/+/x'], 1)).toEqual([
        1, 0x80, 0x80,
      ]);
      await inbox.waitForTopic('plant/open/retained', 'r-open');
      await admin.publishAsync('plant/secret/b', 'secret', { qos: 1 });
      await admin.publishAsync('plant/a', 'open', { qos: 1 });
      expect((await inbox.waitForTopic('plant/a')).payload).toBe('open');
      const seen = await receivedBeforeMarker(admin, inbox, 'plant/marker');
      expect(seen).toEqual(expect.arrayContaining(['plant/open/retained', 'plant/a']));
      expect(seen).not.toContain('plant/secret/b');
      expect(seen).not.toContain('plant/secret/retained');
      await admin.publishAsync('plant/secret/retained', '', { qos: 1, retain: true }); // clean up
      await admin.publishAsync('plant/open/retained', '', { qos: 1, retain: true });
    });

    it('a deny added to a live session applies at once: its subscription stays, the denied topics stop', async () => {
      const { user, client } = await device([{ context: 'mqtt', resource: 'line/#', operation: 'read' }]);
      const inbox = new Inbox(client);
      expect(await subscribeCodes(client, ['line/#', 'line/private/#'])).toEqual([0, 0]);
      const applied = stack.changeApplied(user.id);
      await stack.rest.updateUser(user.id, {
        permissions: [
          { context: 'mqtt', resource: 'line/#', operation: 'read' },
          { context: 'mqtt', resource: 'line/private/#', operation: 'read', effect: 'deny' },
        ],
      });
      await applied;
      const admin = track(await connectClient(e, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD }));
      await admin.publishAsync('line/private/p', 'p', { qos: 1 });
      await admin.publishAsync('line/public', 'q', { qos: 1 });
      const seen = await receivedBeforeMarker(admin, inbox, 'line/marker');
      expect(seen).toContain('line/public');
      expect(seen).not.toContain('line/private/p');
      // the covered subscription was removed server-side, the other one stands
      expect(
        Object.keys(
          (stack.broker as unknown as { clients: Record<string, { subscriptions: object }> }).clients[
            client.options.clientId as string
          ].subscriptions,
        ),
      ).toEqual(['line/#']);
    });

    it('deny write beats allow write: plant/# write + deny write plant/locked/# refuses plant/locked/x, allows plant/x', async () => {
      const { client } = await device([
        { context: 'mqtt', resource: 'plant/#', operation: 'write' },
        { context: 'mqtt', resource: 'plant/locked/#', operation: 'write', effect: 'deny' },
      ]);
      await client.publishAsync('plant/x', 'ok', { qos: 1 });
      await witnessInbox.waitForTopic('plant/x', 'ok');
      await expectRefused(client, 'plant/locked/x', { qos: 1, retain: true });
    });

    it('maxQos 0 refuses a QoS 1 and a QoS 2 publish, allows QoS 0', async () => {
      const { client } = await device([{ context: 'mqtt', resource: 'q/#', operation: 'write', maxQos: 0 }]);
      await client.publishAsync('q/zero', 'ok', { qos: 0 });
      await witnessInbox.waitForTopic('q/zero', 'ok');
      await expectRefused(client, 'q/one', { qos: 1 });
      if (action === 'ignore') await expectRefused(client, 'q/two', { qos: 2 }); // PUBREC, PUBREL, PUBCOMP
    });

    it('retain false refuses a retained publish, allows the same one not retained', async () => {
      const { client } = await device([
        { context: 'mqtt', resource: 'r/#', operation: 'write', retain: false },
      ]);
      await client.publishAsync('r/live', 'ok', { qos: 1 });
      await witnessInbox.waitForTopic('r/live', 'ok');
      await expectRefused(client, 'r/kept', { qos: 1, retain: true });
    });

    it('QoS 0 refused under either action: never delivered', async () => {
      const { client } = await device([
        { context: 'mqtt', resource: 'z/#', operation: 'write', retain: false },
      ]);
      await expectRefused(client, 'z/kept', { qos: 0, retain: true });
    });

    it('the limits apply to the will: a retained will under retain false and a QoS 1 will under maxQos 0 never fire; an admitted one does', async () => {
      const wills = [
        {
          id: `will-ret-${action}`,
          rule: { retain: false },
          will: { qos: 1 as const, retain: true },
          fires: false,
        },
        {
          id: `will-qos-${action}`,
          rule: { maxQos: 0 as const },
          will: { qos: 1 as const, retain: false },
          fires: false,
        },
        {
          id: `will-ok-${action}`,
          rule: { maxQos: 1 as const, retain: false },
          will: { qos: 1 as const, retain: false },
          fires: true,
        },
      ];
      for (const w of wills) {
        const username = `${w.id}-user`;
        await stack.rest.createUser({
          username,
          password: PASSWORD,
          permissions: [{ context: 'mqtt', resource: 'wills/#', operation: 'write', ...w.rule }],
        });
        const c = await connectClient(e, {
          username,
          password: PASSWORD,
          clientId: w.id,
          will: { topic: `wills/${w.id}`, payload: Buffer.from('dead'), ...w.will },
        });
        const gone = clientDisconnected(stack.broker, w.id);
        c.stream.destroy();
        await gone;
      }
      await witnessInbox.waitForTopic(`wills/will-ok-${action}`, 'dead');
      const seen = await receivedBeforeMarker(witness, witnessInbox, `marker/${action}`);
      expect(seen).not.toContain(`wills/will-ret-${action}`);
      expect(seen).not.toContain(`wills/will-qos-${action}`);
      expect(await retainedTopics(stack.broker, 'wills/#')).toEqual([]);
    });
  },
);
