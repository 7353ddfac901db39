import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type NatsConnection, connect, createInbox } from '@nats-io/transport-node';
import { firstValueFrom, timeout } from 'rxjs';
import { validateMessage } from '@gatehouse/contracts';
import { ADMIN_TRANSPORT_ENDPOINT, type AdminTransportEndpoint } from './admin-transport.options';
import { GatewayEventBroadcaster } from './gateway-event-broadcaster.service';

export const GATEWAY_QUERY_TIMEOUT_MS = Symbol('GATEWAY_QUERY_TIMEOUT_MS');

/** The answers of a scatter-gather query: who answered, and who was expected but did not (partial). */
export interface GatewayAnswers<T> {
  answers: T[];
  /** Gateway ids that answered. */
  answered: string[];
  /** Gateway ids that were asked (or were seen recently, NATS) and did not answer within the timeout. */
  unanswered: string[];
  /** True when any gateway did not answer: the result is partial. */
  partial: boolean;
}

/** A gateway id seen in a NATS answer is expected to answer again for this long. */
const NATS_SEEN_TTL_MS = 60_000;

/**
 * Asks EVERY gateway the same question and gathers the answers (ADR 0022). Loopback TCP: one request
 * per registered gateway, in parallel. NATS: one request on the pattern's subject, which every gateway
 * subscribes to without a queue group; answers are collected on a private inbox until
 * `GATEWAY_QUERY_TIMEOUT_MS`, or until every gateway seen recently answered. Each answer is validated
 * against its contract DTO; a gateway that does not answer (or answers garbage) is named in
 * `unanswered`, never silently left out.
 */
@Injectable()
export class GatewayQueries implements OnApplicationShutdown {
  private readonly logger = new Logger(GatewayQueries.name);
  private nats?: Promise<NatsConnection>;
  private readonly seen = new Map<string, number>();

  constructor(
    @Inject(ADMIN_TRANSPORT_ENDPOINT) private readonly endpoint: AdminTransportEndpoint,
    @Inject(GATEWAY_QUERY_TIMEOUT_MS) private readonly timeoutMs: number,
    private readonly gateways: GatewayEventBroadcaster,
  ) {}

  async ask<T extends { gatewayId: string; gatewayInstance: string }>(
    pattern: string,
    payload: object,
    answer: new () => T,
  ): Promise<GatewayAnswers<T>> {
    return this.endpoint.kind === 'nats'
      ? this.askNats(pattern, payload, answer)
      : this.askRegistered(pattern, payload, answer);
  }

  async onApplicationShutdown(): Promise<void> {
    const nc = await this.nats?.catch(() => undefined);
    await nc?.close().catch(() => undefined);
  }

  private async askRegistered<T extends { gatewayId: string; gatewayInstance: string }>(
    pattern: string,
    payload: object,
    cls: new () => T,
  ): Promise<GatewayAnswers<T>> {
    const targets = this.gateways.liveGateways();
    const results = await Promise.all(
      targets.map(async ({ gatewayId, client }) => {
        try {
          const raw = await firstValueFrom(
            client.send<unknown>(pattern, payload).pipe(timeout(this.timeoutMs)),
          );
          return { gatewayId, answer: validateMessage(cls, raw) };
        } catch (err) {
          this.logger.warn(
            `gateway ${JSON.stringify(gatewayId)} did not answer ${pattern}: ${describe(err)}`,
          );
          return { gatewayId, answer: undefined };
        }
      }),
    );
    const answers = results.flatMap((r) => (r.answer ? [r.answer] : []));
    const unanswered = results.filter((r) => !r.answer).map((r) => r.gatewayId);
    return {
      answers,
      answered: results.filter((r) => r.answer).map((r) => r.gatewayId),
      unanswered,
      partial: unanswered.length > 0,
    };
  }

  private async askNats<T extends { gatewayId: string; gatewayInstance: string }>(
    pattern: string,
    payload: object,
    cls: new () => T,
  ): Promise<GatewayAnswers<T>> {
    const nc = await this.connection();
    const now = Date.now();
    for (const [id, at] of this.seen) if (now - at > NATS_SEEN_TTL_MS) this.seen.delete(id);
    const expected = new Set(this.seen.keys());
    const answers = new Map<string, T>();
    const inbox = createInbox();
    const id = randomUUID();
    await new Promise<void>((resolve) => {
      const sub = nc.subscribe(inbox, {
        callback: (err, msg) => {
          if (err) return;
          try {
            const packet = msg.json<{ id?: string; response?: unknown; err?: unknown }>();
            if (packet.id !== id || packet.err !== undefined || packet.response === undefined) return;
            const answer = validateMessage(cls, packet.response);
            // Keyed by gateway and process: two processes with one GATEWAY_ID both count.
            const key = `${answer.gatewayId}\u0000${answer.gatewayInstance}`;
            answers.set(key, answer);
            this.seen.set(key, Date.now());
            if (expected.size > 0 && [...expected].every((g) => answers.has(g))) done();
          } catch (e) {
            this.logger.warn(`invalid answer to ${pattern} ignored: ${describe(e)}`);
          }
        },
      });
      const timer = setTimeout(() => done(), this.timeoutMs);
      function done(): void {
        clearTimeout(timer);
        sub.unsubscribe();
        resolve();
      }
      nc.publish(pattern, JSON.stringify({ pattern, data: payload, id }), { reply: inbox });
    });
    const unanswered = [...expected].filter((g) => !answers.has(g)).map(gatewayOf);
    return {
      answers: [...answers.values()],
      answered: [...answers.values()].map((a) => a.gatewayId),
      unanswered,
      partial: unanswered.length > 0,
    };
  }

  private connection(): Promise<NatsConnection> {
    if (this.endpoint.kind !== 'nats') throw new Error('not a NATS transport');
    this.nats ??= connect({ servers: this.endpoint.servers });
    this.nats.catch(() => (this.nats = undefined));
    return this.nats;
  }
}

function gatewayOf(key: string): string {
  return key.split('\u0000')[0];
}

function describe(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err) return String((err as Error).message);
  return JSON.stringify(err) ?? String(err);
}
