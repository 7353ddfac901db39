import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway.config';

interface Window {
  failures: number;
  startedAt: number;
}

const MAX_TRACKED_KEYS = 100_000;

/**
 * Failed-CONNECT limits per username and per client IP (SPEC 3 "like HTTP logins"), checked before
 * anything is sent to admin-api so that a password-guessing client cannot make it burn CPU on argon2.
 * Fixed window starting at the first failure: a lock-out never lasts longer than the window, so it
 * cannot keep a legitimate device out for longer. admin-api keeps its own limits as well.
 */
@Injectable()
export class ConnectThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  /** Seconds until a retry can succeed, or 0 when the CONNECT may proceed. */
  retryAfter(username: string, ip: string | undefined, now = Date.now()): number {
    const l = this.config.connectLimits;
    return Math.max(this.blocked(`u:${username}`, l.maxFailuresPerUsername, now), ip ? this.blocked(`ip:${ip}`, l.maxFailuresPerIp, now) : 0);
  }

  recordFailure(username: string, ip: string | undefined, now = Date.now()): void {
    this.bump(`u:${username}`, now);
    if (ip) this.bump(`ip:${ip}`, now);
  }

  recordSuccess(username: string): void {
    this.windows.delete(`u:${username}`);
  }

  private blocked(key: string, max: number, now: number): number {
    const w = this.current(key, now);
    if (!w || w.failures < max) return 0;
    return Math.max(1, Math.ceil((w.startedAt + this.config.connectLimits.windowSeconds * 1000 - now) / 1000));
  }

  private current(key: string, now: number): Window | undefined {
    const w = this.windows.get(key);
    if (w && now - w.startedAt >= this.config.connectLimits.windowSeconds * 1000) {
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
    if (this.windows.size >= MAX_TRACKED_KEYS) {
      for (const k of [...this.windows.keys()]) this.current(k, now);
      for (const k of this.windows.keys()) {
        if (this.windows.size < MAX_TRACKED_KEYS) break;
        this.windows.delete(k);
      }
    }
    this.windows.set(key, { failures: 1, startedAt: now });
  }
}
