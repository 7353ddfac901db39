/** Failures allowed per username and per client IP within a fixed window. */
export interface FailureLimits {
  maxFailuresPerUsername: number;
  maxFailuresPerIp: number;
  windowSeconds: number;
}

interface Window {
  failures: number;
  startedAt: number;
}

const MAX_TRACKED_KEYS = 100_000;

/**
 * The failed-login rule both apps apply (SPEC 2.1 for HTTP logins; SPEC 3 "like HTTP logins" for
 * MQTT CONNECTs): failures counted per username and per client IP in a fixed window that starts
 * with the first failure, so a lock-out never outlasts the window. In memory, bounded to 100,000
 * keys (expired windows are evicted first, then the oldest).
 */
export class FailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly limits: FailureLimits) {}

  /** Seconds until an attempt may succeed again; 0 when it may proceed now. */
  retryAfter(username: string, ip: string | undefined, now = Date.now()): number {
    const l = this.limits;
    return Math.max(
      this.blocked(`u:${username}`, l.maxFailuresPerUsername, now),
      ip ? this.blocked(`ip:${ip}`, l.maxFailuresPerIp, now) : 0,
    );
  }

  recordFailure(username: string, ip: string | undefined, now = Date.now()): void {
    this.bump(`u:${username}`, now);
    if (ip) this.bump(`ip:${ip}`, now);
  }

  /** A success clears the username's counter (not the IP's). */
  recordSuccess(username: string): void {
    this.windows.delete(`u:${username}`);
  }

  private blocked(key: string, max: number, now: number): number {
    const w = this.current(key, now);
    if (!w || w.failures < max) return 0;
    return Math.max(1, Math.ceil((w.startedAt + this.limits.windowSeconds * 1000 - now) / 1000));
  }

  private current(key: string, now: number): Window | undefined {
    const w = this.windows.get(key);
    if (w && now - w.startedAt >= this.limits.windowSeconds * 1000) {
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
