import 'reflect-metadata';
import { loadGatewayConfig } from '../../config/gateway.config';
import { ConnectThrottle } from './connect-throttle.service';

describe('ConnectThrottle (SPEC 2.1 and 3: failed CONNECTs, without REDIS_URL)', () => {
  const throttle = (): ConnectThrottle =>
    new ConnectThrottle(
      loadGatewayConfig({
        LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS: '3',
        LOGIN_FAILURES_PER_USERNAME: '5',
        LOGIN_FAILURE_WINDOW_SECONDS: '60',
      }),
    );

  it('blocks the (username, address) pair after its limit, not the username at another address', async () => {
    const t = throttle();
    for (let i = 0; i < 3; i++) await t.recordFailure('dev', '10.0.0.1');
    expect(await t.retryAfter('dev', '10.0.0.1')).toBeGreaterThan(55);
    expect(await t.retryAfter('dev', '10.0.0.1')).toBeLessThanOrEqual(60);
    expect(await t.retryAfter('dev', '10.0.0.2')).toBe(0);
    expect(await t.retryAfter('other', '10.0.0.1')).toBe(0);
  });

  it('blocks a username whose failures are spread over addresses', async () => {
    const t = throttle();
    for (let i = 0; i < 5; i++) await t.recordFailure('dev', `10.0.0.${i}`);
    expect(await t.retryAfter('dev', '10.0.0.99')).toBeGreaterThan(0);
  });

  it('has no per-address ceiling of its own (it cannot tell unknown usernames; admin-api can)', async () => {
    const t = throttle();
    for (let i = 0; i < 50; i++) await t.recordFailure(`fuzz-${i}`, '10.0.0.1');
    expect(await t.retryAfter('admin', '10.0.0.1')).toBe(0);
  });

  it('a success clears the pair counter', async () => {
    const t = throttle();
    await t.recordFailure('dev', '10.0.0.1');
    await t.recordFailure('dev', '10.0.0.1');
    await t.recordSuccess('dev', '10.0.0.1');
    await t.recordFailure('dev', '10.0.0.1');
    expect(await t.retryAfter('dev', '10.0.0.1')).toBe(0);
  });
});
