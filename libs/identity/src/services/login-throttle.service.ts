import { Inject, Injectable } from '@nestjs/common';
import { IdentityError } from '../identity.error';
import { IDENTITY_OPTIONS, type IdentityOptions } from '../identity.options';

interface Window {
  failures: number;
  startedAt: number;
}

const MAX_TRACKED_KEYS = 100_000;

/**
 * Failed-login limits per username and per client IP in a fixed window (SPEC 2.1). A lock-out
 * lasts at most until the window that started with the first failure ends, so the limit cannot
 * keep a legitimate user out for longer than the window. In memory, per instance (ADR 0003).
 */
@Injectable()
export class LoginThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(@Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions) {}

  /** Throws IDENTITY.RATE_LIMITED with Retry-After when either key is over its limit. */
  assertAllowed(username: string, ip: string | undefined, now = Date.now()): void {
    const l = this.options.loginLimits;
    this.assertKey(`u:${username}`, l.maxFailuresPerUsername, now);
    if (ip) this.assertKey(`ip:${ip}`, l.maxFailuresPerIp, now);
  }

  recordFailure(username: string, ip: string | undefined, now = Date.now()): void {
    this.bump(`u:${username}`, now);
    if (ip) this.bump(`ip:${ip}`, now);
  }

  recordSuccess(username: string): void {
    this.windows.delete(`u:${username}`);
  }

  private assertKey(key: string, max: number, now: number): void {
    const w = this.current(key, now);
    if (w && w.failures >= max) {
      const retryAfter = Math.max(1, Math.ceil((w.startedAt + this.options.loginLimits.windowSeconds * 1000 - now) / 1000));
      throw new IdentityError('IDENTITY.RATE_LIMITED', 'too many failed logins; try again later', retryAfter);
    }
  }

  private current(key: string, now: number): Window | undefined {
    const w = this.windows.get(key);
    if (w && now - w.startedAt >= this.options.loginLimits.windowSeconds * 1000) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  private bump(key: string, now: number): void {
    const w = this.current(key, now);
    if (w) {
      w.failures++;
      return;
    }
    if (this.windows.size >= MAX_TRACKED_KEYS) this.evictExpired(now);
    this.windows.set(key, { failures: 1, startedAt: now });
  }

  private evictExpired(now: number): void {
    for (const key of [...this.windows.keys()]) this.current(key, now);
    // Still full: drop the oldest entries (Map iterates in insertion order).
    for (const key of this.windows.keys()) {
      if (this.windows.size < MAX_TRACKED_KEYS) break;
      this.windows.delete(key);
    }
  }
}
