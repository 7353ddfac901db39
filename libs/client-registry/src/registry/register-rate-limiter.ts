import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { RateLimitStore } from '@gatehouse/contracts';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ClientRegistryError } from '../client-registry.error';
import { CLIENT_REGISTRY_OPTIONS, type ClientRegistryOptions } from '../client-registry.options';

/**
 * Registration attempts (REST calls and recorded MQTT CONNECTs) per client IP in a fixed window
 * (`rate-limiter-flexible`): the public register route costs an argon2 hash, so it is limited before any
 * work is done. In Redis when `REDIS_URL` is set (shared by every admin-api), else in memory (ADR 0003).
 */
@Injectable()
export class RegisterRateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger('RegisterRateLimiter');
  private readonly store: RateLimitStore;
  private readonly limiter: RateLimiterAbstract;

  constructor(@Inject(CLIENT_REGISTRY_OPTIONS) options: ClientRegistryOptions) {
    this.store = new RateLimitStore(options.rateLimitStore, (m) => this.logger.warn(m));
    this.limiter = this.store.limiter(
      'register:ip:',
      options.registerLimitPerIp,
      options.registerLimitWindowSeconds,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  /** Counts one attempt; throws REGISTRY.RATE_LIMITED (with Retry-After) past the limit. */
  async hit(ip: string | undefined): Promise<void> {
    const retryAfter = await this.tryHit(ip);
    if (retryAfter > 0)
      throw new ClientRegistryError(
        'REGISTRY.RATE_LIMITED',
        'too many registration attempts; try again later',
        retryAfter,
      );
  }

  /** Counts one attempt; answers 0 when allowed, else the seconds until the window ends. */
  async tryHit(ip: string | undefined): Promise<number> {
    try {
      await this.limiter.consume(ip ?? 'unknown');
      return 0;
    } catch (err) {
      if (err instanceof RateLimiterRes) return Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw err;
    }
  }
}
