import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { AuditError } from './audit.error';
import { AUDIT_OPTIONS, type AuditOptions } from './audit.options';
import { AuditRepository, type UnchainedEvent } from './audit.repository';
import type { AuditEvent, AuditEventInput, AuditPage, AuditQuery } from './audit.types';
import { verifyChain } from './verify-chain';

/** Column limits of `audit_events` (the stored value is the hashed value, so clip before hashing). */
const LIMITS = { username: 256, target: 1024, sourceAddress: 64, instanceId: 256, topic: 65535 } as const;

/** PostgreSQL text cannot hold U+0000; nothing else is changed. */
function clean(s: string | null | undefined, max: number): string | null {
  if (s === null || s === undefined) return null;
  const t = s.includes('\u0000') ? s.split('\u0000').join('\uFFFD') : s;
  return t.length > max ? t.slice(0, max) : t;
}

const isList = (x: AuditEventInput | readonly AuditEventInput[]): x is readonly AuditEventInput[] =>
  Array.isArray(x);

const FIRST_PRUNE_DELAY_MS = 60_000;

const encodeCursor = (seq: number) => Buffer.from(`a:${seq}`, 'utf8').toString('base64url');

function decodeCursor(cursor: string): number {
  const m = /^a:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new AuditError('AUDIT.INVALID_CURSOR', 'cursor is not one this API handed out');
  return Number(m[1]);
}

/**
 * The audit trail (SPEC 6, ADR 0016): records events in the hash chain and in the structured log,
 * lists them, verifies the chain and prunes it by retention.
 */
@Injectable()
export class AuditService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Audit');
  private pruneTimer?: NodeJS.Timeout;
  private firstPrune?: NodeJS.Timeout;

  constructor(
    private readonly repository: AuditRepository,
    @Inject(AUDIT_OPTIONS) private readonly options: AuditOptions,
  ) {}

  get instanceId(): string {
    return this.options.instanceId;
  }

  /** Appends the events, in this order, in one transaction; each is also written to the log. */
  async record(inputs: AuditEventInput | readonly AuditEventInput[]): Promise<AuditEvent[]> {
    const list: readonly AuditEventInput[] = isList(inputs) ? inputs : [inputs];
    const stored = await this.repository.append(list.map((i) => this.prepare(i)));
    for (const e of stored) this.logger.log({ audit: e });
    return stored;
  }

  async list(q: AuditQuery): Promise<AuditPage> {
    const { cursor, ...filter } = q;
    const rows = await this.repository.list({
      ...filter,
      ...(cursor !== undefined ? { beforeSeq: decodeCursor(cursor) } : {}),
    });
    const items = rows.slice(0, q.limit);
    return {
      items,
      nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1].seq) : null,
    };
  }

  /** Walks the chain from the genesis (or the pruned head) to the head; names the first broken event. */
  verify() {
    return verifyChain(this.repository);
  }

  /** Removes the events older than `AUDIT_RETENTION_DAYS` (a prefix of the chain; its head is recorded). */
  async prune(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.options.retentionDays * 86_400_000);
    const { removed, prunedSeq } = await this.repository.pruneThrough(cutoff);
    if (removed > 0)
      this.logger.log(
        `retention: pruned ${removed} audit events before ${cutoff.toISOString()} (through seq ${prunedSeq})`,
      );
    return removed;
  }

  /** The first prune a minute after the start (not on the start's critical path), then every interval. */
  onApplicationBootstrap(): void {
    if (this.options.pruneIntervalMs <= 0) return;
    const run = () =>
      void this.prune().catch((err: unknown) =>
        this.logger.error(`retention prune failed: ${(err as Error)?.message ?? String(err)}`),
      );
    this.firstPrune = setTimeout(run, FIRST_PRUNE_DELAY_MS);
    this.firstPrune.unref();
    this.pruneTimer = setInterval(run, this.options.pruneIntervalMs);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.firstPrune) clearTimeout(this.firstPrune);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
  }

  private prepare(i: AuditEventInput): UnchainedEvent {
    return {
      id: randomUUID(),
      at: i.at ?? new Date(),
      actor: i.actor === null ? null : { id: i.actor.id, username: clean(i.actor.username, LIMITS.username) },
      action: i.action,
      target: {
        type: i.target.type,
        id: clean(i.target.id, LIMITS.target),
        name: clean(i.target.name, LIMITS.target),
      },
      result: i.result,
      sourceAddress: clean(i.sourceAddress, LIMITS.sourceAddress),
      instanceId: clean(i.instanceId ?? this.options.instanceId, LIMITS.instanceId) ?? '',
      changes: i.changes ?? null,
      count: i.count ?? null,
      topic: clean(i.topic, LIMITS.topic),
    };
  }
}
