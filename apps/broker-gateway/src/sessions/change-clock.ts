import { Injectable } from '@nestjs/common';

const KEEP_MS = 10 * 60_000;
const MAX_USERS = 50_000;

/**
 * Orders change events against in-flight CONNECT verifications: a CONNECT that started before a
 * change event for its user may carry the principal from before the change, so it resolves the
 * principal again before the session starts. Keeps recent entries only (bounded).
 */
@Injectable()
export class ChangeClock {
  private seq = 0;
  private readonly lastChange = new Map<string, { seq: number; at: number }>();

  /** The current position; compare with {@link changedSince}. */
  now(): number {
    return this.seq;
  }

  tick(userId: string, at = Date.now()): void {
    this.seq++;
    this.lastChange.delete(userId);
    this.lastChange.set(userId, { seq: this.seq, at });
    if (this.lastChange.size > MAX_USERS) {
      for (const [k, v] of this.lastChange) {
        if (this.lastChange.size <= MAX_USERS && at - v.at < KEEP_MS) break;
        this.lastChange.delete(k);
      }
    }
  }

  /** Whether a change for `userId` arrived after position `seq`. */
  changedSince(userId: string, seq: number): boolean {
    const c = this.lastChange.get(userId);
    // An entry pruned for size is treated as changed: fail towards re-resolving.
    return c ? c.seq > seq : this.seq - seq > MAX_USERS;
  }
}
