import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { LoginLimiter, RateLimitStore } from '@gatehouse/contracts';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { IdentityError } from '../identity.error';
import { IDENTITY_OPTIONS, type IdentityOptions } from '../identity.options';

/**
 * Failed-login limits of admin-api (SPEC 2.1, ADR 0003): per (username, client address), per username
 * and per address ({@link LoginLimiter}), for HTTP logins and the MQTT CONNECTs the gateways forward.
 * In Redis when `REDIS_URL` is set (shared by every admin-api and gateway using it), else in memory.
 */
@Injectable()
export class LoginThrottle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('LoginThrottle');
  private readonly store: RateLimitStore;
  private readonly limiter: LoginLimiter;

  constructor(@Inject(IDENTITY_OPTIONS) options: IdentityOptions) {
    this.store = new RateLimitStore(options.rateLimitStore, (m) => this.logger.warn(m));
    this.limiter = new LoginLimiter(options.loginLimits, this.store, (e) =>
      this.logger.warn(
        `failed logins limit per ${e.limit} reached: username ${JSON.stringify(e.username)} from ${e.address}; refused for ${e.seconds} s`,
      ),
    );
  }

  async onModuleInit(): Promise<void> {
    if (!(await this.store.ready()))
      this.logger.warn('Redis not ready: failed logins are counted in memory until it is');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  /** Seconds until `username` may try again from `ip`; 0 when it may now. */
  retryAfter(username: string, ip: string | undefined): Promise<number> {
    return this.limiter.retryAfter(username, ip);
  }

  /** Throws IDENTITY.RATE_LIMITED with Retry-After when a limit applies to this attempt. */
  async assertAllowed(username: string, ip: string | undefined): Promise<void> {
    const retryAfter = await this.retryAfter(username, ip);
    if (retryAfter > 0)
      throw new IdentityError('IDENTITY.RATE_LIMITED', 'too many failed logins; try again later', retryAfter);
  }

  /** `existingUser`: only failures against usernames that exist count toward the per-address ceiling. */
  recordFailure(username: string, ip: string | undefined, existingUser: boolean): Promise<void> {
    return this.limiter.recordFailure(username, ip, existingUser);
  }

  recordSuccess(username: string, ip: string | undefined): Promise<void> {
    return this.limiter.recordSuccess(username, ip);
  }

  /** Another counter on the same store (memory, or the shared Redis): the MFA ban (ADR 0020). */
  counter(name: string, points: number, durationSeconds: number): RateLimiterAbstract {
    return this.store.limiter(name, points, durationSeconds);
  }
}
