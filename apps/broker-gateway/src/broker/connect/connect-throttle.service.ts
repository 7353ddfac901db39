import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type LoginAttemptContext, LoginLimiter, RateLimitStore } from '@gatehouse/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway.config';

/**
 * Failed-CONNECT limits (SPEC 2.1 and 3, ADR 0003), checked before anything is sent to admin-api so that
 * a guessing client costs neither a round trip nor argon2 work. admin-api is the authority: it counts
 * every failure it verifies (HTTP and MQTT alike) and answers `rate-limited` past a limit.
 * - With `REDIS_URL` the gateway reads admin-api's counters in Redis (same `RATE_LIMIT_REDIS_PREFIX`) and
 *   writes nothing: every failure reached admin-api, which counted it once.
 * - Without it, the gateway keeps its own counters in memory per (username, address) and per username.
 *   It cannot tell an existing username from an unknown one, so the per-address ceiling is admin-api's.
 * Credentials found in the verification cache are exempt from the per-address ceiling.
 */
@Injectable()
export class ConnectThrottle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ConnectThrottle');
  private readonly store: RateLimitStore;
  private readonly limiter: LoginLimiter;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.store = new RateLimitStore(
      { redisUrl: config.redisUrl, keyPrefix: config.rateLimitRedisPrefix },
      (m) => this.logger.warn(m),
    );
    this.limiter = new LoginLimiter(config.connectLimits, this.store, (e) =>
      this.logger.warn(
        `failed CONNECTs limit per ${e.limit} reached: username ${JSON.stringify(e.username)} from ${e.address}; refused for ${e.seconds} s`,
      ),
    );
  }

  async onModuleInit(): Promise<void> {
    if (!(await this.store.ready()))
      this.logger.warn('Redis not ready: failed CONNECTs are counted in memory until it is');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  /** Seconds until this CONNECT may proceed; 0 when it may now. */
  retryAfter(username: string, ip: string | undefined, ctx: LoginAttemptContext = {}): Promise<number> {
    return this.limiter.retryAfter(username, ip, ctx);
  }

  async recordFailure(username: string, ip: string | undefined): Promise<void> {
    if (!this.store.shared) await this.limiter.recordFailure(username, ip, false);
  }

  async recordSuccess(username: string, ip: string | undefined): Promise<void> {
    if (!this.store.shared) await this.limiter.recordSuccess(username, ip);
  }
}
