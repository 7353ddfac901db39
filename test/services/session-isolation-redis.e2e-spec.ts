/**
 * Session isolation across two gateways sharing REDIS_URL (issue 9, defect 2; SPEC 3, ADR 0101, ADR 0103):
 * client-id ownership lives in Redis beside the aedes persistence, so a user on gateway B cannot kick,
 * take over or wipe a session that another user holds (live or stored) through gateway A.
 * Runs only when TEST_REDIS_URL is set (.ci/run). Uses its own Redis database (index 11) so that it does
 * not share keys with the other Redis suite; client ids and usernames are unique per run.
 */
import type { BrokerGateway } from '../../apps/broker-gateway/src/bootstrap';
import { clientIdIsolationCases } from '../support/gateway/session-isolation-cases';
import { type ScaleOutStack, startScaleOut, tcpOf } from '../support/gateway/scale-out';

jest.setTimeout(30_000);

function redisDb(url: string, db: number): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

const REDIS_URL = redisDb(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', 11);

describe('REDIS_URL: client ids belong to users across gateways', () => {
  let stack: ScaleOutStack;
  let gateways: BrokerGateway[];

  beforeAll(async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    stack = await startScaleOut('tcp://127.0.0.1:0', [`iso-${tag}-a`, `iso-${tag}-b`], { REDIS_URL });
    gateways = stack.gateways;
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  clientIdIsolationCases(() => ({ a: tcpOf(gateways[0]), b: tcpOf(gateways[1]), rest: stack.rest }));
});
