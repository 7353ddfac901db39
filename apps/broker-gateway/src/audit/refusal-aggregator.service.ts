import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { MAX_REFUSALS_PER_BATCH, type MqttRefusalAction, type MqttRefusalDto } from '@gatehouse/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { IdentityClient } from '../transport/identity-client.service';

/** What a hook knows about a refusal. */
export interface Refusal {
  clientId: string;
  username: string | null;
  userId: string | null;
  topic: string | null;
  sourceAddress: string | null;
}

/** How often the counts go to admin-api. */
export const REFUSAL_FLUSH_INTERVAL_MS = 5000;
/** Distinct (action, minute, client, user, topic, address) keys kept between two flushes; the rest is counted in one overflow entry per action and minute. */
export const MAX_REFUSAL_KEYS = 500;
/**
 * While admin-api does not take the batches, the counts are kept and sent again with the next flush;
 * at most this many distinct minutes are kept (a day), the oldest dropped first with a warning.
 */
export const MAX_PENDING_REFUSAL_MINUTES = 1440;
/** Client ids and topics are clipped to this in the counts (bounds the memory: at most ~MAX_REFUSAL_KEYS × 4 KiB). */
const MAX_KEY_TEXT = 1024;

const clip = (s: string | null): string | null =>
  s !== null && s.length > MAX_KEY_TEXT ? s.slice(0, MAX_KEY_TEXT) : s;

/**
 * MQTT refusals (CONNECT refused, PUBLISH and SUBSCRIBE denied) counted in memory per client, user,
 * topic and minute, and sent to admin-api in batches every few seconds and at shutdown (SPEC 6,
 * ADR 0016): a device that repeats a refused packet costs one audit event per minute, not one per
 * packet. `record` is synchronous and does no I/O (the hooks' hot path). A batch admin-api does not
 * take is merged back into the counts and sent with the next flush (at least once: a batch whose
 * answer was lost may be counted twice); during a long outage the memory stays bounded by the key
 * cap and by {@link MAX_PENDING_REFUSAL_MINUTES}, beyond which the oldest minutes are dropped with
 * a warning that says how many refusals they held.
 */
@Injectable()
export class RefusalAggregator implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MqttAudit');
  private counts = new Map<string, MqttRefusalDto>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly identity: IdentityClient,
  ) {}

  record(action: MqttRefusalAction, r: Refusal, now = Date.now()): void {
    const minute = new Date(now - (now % 60_000)).toISOString();
    const clientId = clip(r.clientId);
    const topic = clip(r.topic);
    const key = JSON.stringify([action, minute, clientId, r.username, r.userId, topic, r.sourceAddress]);
    const known = this.counts.get(key);
    if (known) {
      known.count += 1;
      return;
    }
    this.add(key, {
      action,
      minute,
      clientId,
      username: r.username,
      userId: r.userId,
      topic,
      sourceAddress: r.sourceAddress,
      count: 1,
    });
  }

  /** Adds a new entry (or a kept one again), past the key cap into the overflow entry of its action and minute. */
  private add(key: string, entry: MqttRefusalDto): void {
    const known = this.counts.get(key);
    if (known) {
      known.count += entry.count;
      return;
    }
    if (entry.clientId !== null && this.counts.size < MAX_REFUSAL_KEYS) {
      this.counts.set(key, entry);
      return;
    }
    // past the cap: every further key of this action and minute is counted in one entry (clientId null)
    const overflowKey = JSON.stringify([entry.action, entry.minute, null]);
    const overflow = this.counts.get(overflowKey);
    if (overflow) overflow.count += entry.count;
    else
      this.counts.set(overflowKey, {
        action: entry.action,
        minute: entry.minute,
        clientId: null,
        username: null,
        userId: null,
        topic: null,
        sourceAddress: null,
        count: entry.count,
      });
  }

  /** Puts entries admin-api did not take back into the counts, keeping at most MAX_PENDING_REFUSAL_MINUTES minutes. */
  private keep(entries: readonly MqttRefusalDto[]): void {
    for (const e of entries)
      this.add(
        e.clientId === null
          ? JSON.stringify([e.action, e.minute, null])
          : JSON.stringify([e.action, e.minute, e.clientId, e.username, e.userId, e.topic, e.sourceAddress]),
        e,
      );
    const minutes = [...new Set([...this.counts.values()].map((e) => e.minute))].sort();
    if (minutes.length <= MAX_PENDING_REFUSAL_MINUTES) return;
    const oldest = new Set(minutes.slice(0, minutes.length - MAX_PENDING_REFUSAL_MINUTES));
    let dropped = 0;
    for (const [key, e] of this.counts)
      if (oldest.has(e.minute)) {
        dropped += e.count;
        this.counts.delete(key);
      }
    this.logger.warn(
      `${dropped} MQTT refusals dropped from the audit trail: admin-api has not taken them for more than ` +
        `${MAX_PENDING_REFUSAL_MINUTES} minutes (the oldest minutes go first)`,
    );
  }

  /** Sends what was counted since the last flush (one flush at a time). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.send());
    return this.flushing;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), REFUSAL_FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private async send(): Promise<void> {
    if (this.counts.size === 0) return;
    const refusals = [...this.counts.values()];
    this.counts = new Map();
    for (let i = 0; i < refusals.length; i += MAX_REFUSALS_PER_BATCH) {
      const chunk = refusals.slice(i, i + MAX_REFUSALS_PER_BATCH);
      try {
        await this.identity.recordRefusals({ gatewayId: this.config.gatewayId, refusals: chunk });
      } catch (err) {
        // this chunk and the rest wait for the next flush (admin-api is down or restarting)
        const rest = refusals.slice(i);
        const waiting = rest.reduce((n, r) => n + r.count, 0);
        this.logger.warn(
          `${waiting} MQTT refusals not yet recorded in the audit trail, kept for the next flush: ${(err as Error).message}`,
        );
        this.keep(rest);
        return;
      }
    }
  }
}
