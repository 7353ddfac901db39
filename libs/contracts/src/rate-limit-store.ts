import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** Longest key lifetime in memory: 24 days (timers past 2^31 ms fire at once). */
export const MAX_MEMORY_SECONDS = 24 * 86_400;

/** Where the rate-limit counters live (SPEC 2.1): Redis when `REDIS_URL` is set, else this process. */
export interface RateLimitStoreOptions {
  /** `redis://` / `rediss://` URL shared by every instance; `null`: counters in memory, per process. */
  redisUrl: string | null;
  /** Prefix of every key in Redis (`RATE_LIMIT_REDIS_PREFIX`); instances that share counters share it. */
  keyPrefix: string;
}

/** Failures of Redis, told to the owner (a log line), never thrown into a request. */
export type RateLimitStoreErrorSink = (message: string) => void;

/**
 * Creates `rate-limiter-flexible` limiters over one store: `RateLimiterRedis` on a single ioredis
 * connection (with a `RateLimiterMemory` as insurance: while Redis is unreachable, each process counts on
 * its own instead of failing the login), or `RateLimiterMemory`. Fixed windows that start with the first
 * point (ADR 0003).
 */
export class RateLimitStore {
  private readonly redis: Redis | null;

  constructor(
    private readonly options: RateLimitStoreOptions,
    onError: RateLimitStoreErrorSink = () => undefined,
  ) {
    this.redis = options.redisUrl
      ? new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
      : null;
    let last = '';
    this.redis?.on('error', (err: Error) => {
      // ioredis reports every reconnect attempt; one line per distinct problem is enough.
      if (err.message !== last) onError(`rate-limit store (Redis): ${err.message}`);
      last = err.message;
    });
    this.redis?.on('ready', () => (last = ''));
  }

  /** True when the counters are shared through Redis. */
  get shared(): boolean {
    return this.redis !== null;
  }

  /** A limiter of `points` per `durationSeconds`, its keys under `name`. */
  limiter(name: string, points: number, durationSeconds: number): RateLimiterAbstract {
    const keyPrefix = `${this.options.keyPrefix}${name}`;
    // The memory store expires each key with a timer: Node fires timers past 2^31 ms at once.
    const memory = new RateLimiterMemory({
      keyPrefix,
      points,
      duration: Math.min(durationSeconds, MAX_MEMORY_SECONDS),
    });
    if (!this.redis) return memory;
    return new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix,
      points,
      duration: durationSeconds,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
  }

  /** Resolves once Redis is ready, or after `timeoutMs` (the insurance counts in memory meanwhile). */
  async ready(timeoutMs = 5000): Promise<boolean> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = (): void => finish(true);
      redis.on('ready', onReady);
    });
  }

  async close(): Promise<void> {
    if (!this.redis || this.redis.status === 'end') return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
