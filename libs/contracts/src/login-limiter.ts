import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { MAX_MEMORY_SECONDS, type RateLimitStore } from './rate-limit-store';

/** SPEC 2.1 failed-login limits (HTTP logins and MQTT CONNECTs share them). */
export interface LoginLimitOptions {
  /** Failures per (username, client address) within the window: 10 per 15 minutes. */
  perUsernameAndAddress: number;
  /** Failures per username over all addresses (distributed guessing): 100. */
  perUsername: number;
  /** Failures against existing usernames per address over all usernames (password spraying): 100. */
  perAddress: number;
  windowSeconds: number;
  /**
   * A successful login marks (username, address) as known this long: the address ceiling spares it
   * (in memory at most 24 days).
   */
  knownAddressSeconds: number;
}

export const defaultLoginLimits: LoginLimitOptions = {
  perUsernameAndAddress: 10,
  perUsername: 100,
  perAddress: 100,
  windowSeconds: 900,
  knownAddressSeconds: 30 * 86_400,
};

/** Which limit a failure just filled (for a log line: the moment an attack becomes visible). */
export interface LoginLimitReached {
  limit: 'username-and-address' | 'username' | 'address';
  username: string;
  address: string;
  /** How long that limit now refuses. */
  seconds: number;
}

export interface LoginAttemptContext {
  /**
   * The caller already proved these exact credentials recently (the gateway's verification cache): the
   * per-address ceiling does not apply (the pair and username limits still do).
   */
  verified?: boolean;
}

/**
 * The failed-login rule of both apps (SPEC 2.1, ADR 0003), on `rate-limiter-flexible` counters:
 * - per (username, address): the real user at another address is never locked out by a guesser;
 * - per username over all addresses: distributed guessing of one account;
 * - per address over all usernames, counting only failures against usernames that exist, and blocking
 *   only usernames that never logged in from that address: a fuzzer spraying random usernames from a
 *   NAT address cannot lock out the site behind it, and known users there keep working while a
 *   password sprayer against real accounts is stopped.
 * Fixed windows from the first failure: a lock-out never outlasts the window.
 */
export class LoginLimiter {
  private readonly pair: RateLimiterAbstract;
  private readonly user: RateLimiterAbstract;
  private readonly address: RateLimiterAbstract;
  private readonly known: RateLimiterAbstract;
  private readonly knownSeconds: number;

  constructor(
    private readonly limits: LoginLimitOptions,
    store: RateLimitStore,
    private readonly onLimitReached: (event: LoginLimitReached) => void = () => undefined,
  ) {
    this.pair = store.limiter('login:pair:', limits.perUsernameAndAddress, limits.windowSeconds);
    this.user = store.limiter('login:user:', limits.perUsername, limits.windowSeconds);
    this.address = store.limiter('login:addr:', limits.perAddress, limits.windowSeconds);
    this.knownSeconds = store.shared
      ? limits.knownAddressSeconds
      : Math.min(limits.knownAddressSeconds, MAX_MEMORY_SECONDS);
    this.known = store.limiter('login:known:', 1, this.knownSeconds);
  }

  /** Seconds until an attempt of `username` from `address` may proceed; 0 when it may now. */
  async retryAfter(
    username: string,
    address: string | undefined,
    ctx: LoginAttemptContext = {},
  ): Promise<number> {
    const addr = address ?? 'unknown';
    const pairKey = pairOf(username, addr);
    const [pair, user, perAddress] = await Promise.all([
      this.pair.get(pairKey),
      this.user.get(userOf(username)),
      ctx.verified ? Promise.resolve(null) : this.address.get(addr),
    ]);
    let wait = Math.max(
      blockedFor(pair, this.limits.perUsernameAndAddress),
      blockedFor(user, this.limits.perUsername),
    );
    const addressWait = blockedFor(perAddress, this.limits.perAddress);
    if (addressWait > wait && !(await this.known.get(pairKey))) wait = addressWait;
    return wait;
  }

  /** Counts a failure; `existingUser` says whether the username exists (only those count per address). */
  async recordFailure(username: string, address: string | undefined, existingUser: boolean): Promise<void> {
    const addr = address ?? 'unknown';
    const [pair, user, perAddress] = await Promise.all([
      this.pair.penalty(pairOf(username, addr)),
      this.user.penalty(userOf(username)),
      existingUser ? this.address.penalty(addr) : Promise.resolve(null),
    ]);
    const reached = (limit: LoginLimitReached['limit'], res: RateLimiterRes | null, max: number): void => {
      if (res?.consumedPoints === max)
        this.onLimitReached({ limit, username, address: addr, seconds: blockedFor(res, max) });
    };
    reached('username-and-address', pair, this.limits.perUsernameAndAddress);
    reached('username', user, this.limits.perUsername);
    reached('address', perAddress, this.limits.perAddress);
  }

  /**
   * A success clears the pair's counter and marks (username, address) as known. The username ceiling
   * stays: one success at one address says nothing about the guessing elsewhere.
   */
  async recordSuccess(username: string, address: string | undefined): Promise<void> {
    const key = pairOf(username, address ?? 'unknown');
    await Promise.all([this.pair.delete(key), this.known.set(key, 1, this.knownSeconds)]);
  }
}

/** Usernames may hold any character SPEC 1.3 allows; encoded, a key cannot be confused with another. */
function userOf(username: string): string {
  return encodeURIComponent(username);
}

function pairOf(username: string, address: string): string {
  return `${encodeURIComponent(username)}@${address}`;
}

function blockedFor(res: RateLimiterRes | null, max: number): number {
  if (!res || res.consumedPoints < max) return 0;
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}
