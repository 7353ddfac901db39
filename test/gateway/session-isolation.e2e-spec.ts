/**
 * Session isolation on one gateway (issue 9, defect 2 and 5; SPEC 3 "Client ids belong to users").
 * The same cases run on two gateways sharing Redis in test/services/session-isolation-redis.e2e-spec.ts.
 */
import { type GatewayStack, startGatewayStack } from '../support/gateway/stack';
import { clientIdIsolationCases } from '../support/gateway/session-isolation-cases';

jest.setTimeout(30_000);

describe('broker gateway: client ids belong to users (one gateway)', () => {
  let stack: GatewayStack;

  beforeAll(async () => {
    stack = await startGatewayStack();
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  clientIdIsolationCases(() => {
    const e = { kind: 'tcp' as const, port: stack.gateway.ports.mqtt };
    return { a: e, b: e, rest: stack.rest };
  });
});
