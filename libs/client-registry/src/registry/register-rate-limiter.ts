import { Inject, Injectable } from '@nestjs/common';
import { ClientRegistryError } from '../client-registry.error';
import { CLIENT_REGISTRY_OPTIONS, type ClientRegistryOptions } from '../client-registry.options';

const MAX_TRACKED = 100_000;

/**
 * Registration attempts (REST calls and recorded MQTT CONNECTs) per client IP in a fixed window: the
 * public register route costs an argon2 hash, so it is limited before any work is done. In memory,
 * per instance (like the login limits, ADR 0003).
 */
@Injectable()
export class RegisterRateLimiter {
  private readonly windows = new Map<string, { count: number; startedAt: number }>();

  constructor(@Inject(CLIENT_REGISTRY_OPTIONS) private readonly options: ClientRegistryOptions) {}

  /** Counts one attempt; throws REGISTRY.RATE_LIMITED (with Retry-After) past the limit. */
  hit(ip: string | undefined, now = Date.now()): void {
    const retryAfter = this.tryHit(ip, now);
    if (retryAfter > 0)
      throw new ClientRegistryError(
        'REGISTRY.RATE_LIMITED',
        'too many registration attempts; try again later',
        retryAfter,
      );
  }

  /** Counts one attempt; answers 0 when allowed, else the seconds until the window ends. */
  tryHit(ip: string | undefined, now = Date.now()): number {
    const key = ip ?? 'unknown';
    const windowMs = this.options.registerLimitWindowSeconds * 1000;
    let w = this.windows.get(key);
    if (w && now - w.startedAt >= windowMs) {
      this.windows.delete(key);
      w = undefined;
    }
    if (!w) {
      if (this.windows.size >= MAX_TRACKED) this.windows.delete(this.windows.keys().next().value as string);
      w = { count: 0, startedAt: now };
      this.windows.set(key, w);
    }
    if (w.count >= this.options.registerLimitPerIp)
      return Math.max(1, Math.ceil((w.startedAt + windowMs - now) / 1000));
    w.count++;
    return 0;
  }
}
