import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { TokenRepository } from '../repositories/token.repository';

/** A token's `last_used_at` is written at most once per this interval (ADR 0009, ASVS 7.3.1). */
export const TOKEN_USE_RESOLUTION_MS = 60_000;
/** Token ids per UPDATE at most. */
const WRITE_BATCH = 1_000;
/** Uses seen within this delay are written together, in one statement. */
const FLUSH_DELAY_MS = 1_000;
/**
 * Past this many remembered tokens, the ones queued longer ago than the resolution are forgotten; if
 * more than half are still recent, all are (at worst a token is written twice within a minute).
 */
const REMEMBERED_MAX = 10_000;

/**
 * Records when a token was last used (`tokens.last_used_at`, listed with the user's tokens) without a
 * write per request on the hot read path (ADR 0006): a use is noted in memory, at most once per token
 * per {@link TOKEN_USE_RESOLUTION_MS}, and the noted ids are written together by one UPDATE a second
 * later. The UPDATE skips rows written within the last minute, so several admin-api instances sharing
 * the database still write a token at most about once a minute. A failed write is logged and dropped
 * (the value is informative; it never decides access).
 */
@Injectable()
export class TokenUsageRecorder implements OnModuleDestroy {
  private readonly logger = new Logger('TokenUsage');
  /** Token id → when this process last queued it for writing (epoch ms). */
  private readonly lastQueued = new Map<string, number>();
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly tokens: TokenRepository) {}

  /** Notes a use of the token; synchronous and without I/O. */
  used(tokenId: string, now = Date.now()): void {
    const last = this.lastQueued.get(tokenId);
    if (last !== undefined && now - last < TOKEN_USE_RESOLUTION_MS) return;
    if (this.lastQueued.size >= REMEMBERED_MAX) this.forgetOlderThan(now - TOKEN_USE_RESOLUTION_MS);
    this.lastQueued.set(tokenId, now);
    this.pending.add(tokenId);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS).unref();
  }

  /** Writes the noted uses now (also called at shutdown); resolves when they are written. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const ids = [...this.pending];
    this.pending = new Set();
    for (let i = 0; i < ids.length; i += WRITE_BATCH) {
      const chunk = ids.slice(i, i + WRITE_BATCH);
      this.inFlight = this.inFlight.then(() => this.write(chunk));
    }
    return this.inFlight;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  private async write(ids: string[]): Promise<void> {
    try {
      await this.tokens.touchLastUsed(ids, TOKEN_USE_RESOLUTION_MS / 1000);
    } catch (err) {
      this.logger.warn(`could not record the last use of ${ids.length} token(s): ${(err as Error).message}`);
    }
  }

  private forgetOlderThan(cutoff: number): void {
    for (const [id, at] of this.lastQueued) if (at < cutoff) this.lastQueued.delete(id);
    if (this.lastQueued.size > REMEMBERED_MAX / 2) this.lastQueued.clear();
  }
}
