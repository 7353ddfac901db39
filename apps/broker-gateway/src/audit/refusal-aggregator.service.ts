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
/** Client ids and topics are clipped to this in the counts (bounds the memory: at most ~MAX_REFUSAL_KEYS × 4 KiB). */
const MAX_KEY_TEXT = 1024;

const clip = (s: string | null): string | null =>
  s !== null && s.length > MAX_KEY_TEXT ? s.slice(0, MAX_KEY_TEXT) : s;

/**
 * MQTT refusals (CONNECT refused, PUBLISH and SUBSCRIBE denied) counted in memory per client, user,
 * topic and minute, and sent to admin-api in batches every few seconds and at shutdown (SPEC 6,
 * ADR 0016): a device that repeats a refused packet costs one audit event per minute, not one per
 * packet. `record` is synchronous and does no I/O (the hooks' hot path). A batch admin-api does not
 * take is dropped with a warning that says how many refusals it held (the counts stay bounded).
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
    if (this.counts.size < MAX_REFUSAL_KEYS) {
      this.counts.set(key, {
        action,
        minute,
        clientId,
        username: r.username,
        userId: r.userId,
        topic,
        sourceAddress: r.sourceAddress,
        count: 1,
      });
      return;
    }
    // past the cap: every further key of this action and minute is counted in one entry (clientId null)
    const overflowKey = JSON.stringify([action, minute, null]);
    const overflow = this.counts.get(overflowKey);
    if (overflow) overflow.count += 1;
    else
      this.counts.set(overflowKey, {
        action,
        minute,
        clientId: null,
        username: null,
        userId: null,
        topic: null,
        sourceAddress: null,
        count: 1,
      });
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
        const lost = chunk.reduce((n, r) => n + r.count, 0);
        this.logger.warn(`${lost} MQTT refusals not recorded in the audit trail: ${(err as Error).message}`);
      }
    }
  }
}
