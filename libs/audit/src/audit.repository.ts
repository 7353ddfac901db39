import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { inTransaction } from '@gatehouse/persistence';
import type { AuditChanges, AuditEvent, AuditQuery, AuditResult } from './audit.types';
import { eventHash, type HashedFields } from './canonical';

/** An event before it has a place in the chain. */
export type UnchainedEvent = Omit<HashedFields, 'seq'>;

/** The chain head (`audit_chain`, one row). */
export interface ChainHead {
  lastSeq: number;
  lastHash: string;
  /** The last event removed by retention (0 and the genesis hash when none was). */
  prunedSeq: number;
  prunedHash: string;
  prunedAt: Date | null;
}

/** A query of the list, in SQL terms (the service decoded the cursor). */
export type AuditListFilter = Omit<AuditQuery, 'cursor'> & { beforeSeq?: number };

interface EventRow {
  id: string;
  seq: string;
  at: Date;
  actor_id: string | null;
  actor_username: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  target_name: string | null;
  result: AuditResult;
  source_address: string | null;
  instance_id: string;
  changes: AuditChanges | null;
  count: number | null;
  topic: string | null;
  prev_hash: string;
  hash: string;
}

interface HeadRow {
  last_seq: string;
  last_hash: string;
  pruned_seq: string;
  pruned_hash: string;
  pruned_at: Date | null;
}

const COLUMNS = `id, seq, at, actor_id, actor_username, action, target_type, target_id, target_name, result,
  source_address, instance_id, changes, count, topic, prev_hash, hash`;
const PER_ROW = 17;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toEvent(r: EventRow): AuditEvent {
  return {
    id: r.id,
    seq: Number(r.seq),
    at: new Date(r.at),
    actor:
      r.actor_id === null && r.actor_username === null
        ? null
        : { id: r.actor_id, username: r.actor_username },
    action: r.action,
    target: { type: r.target_type, id: r.target_id, name: r.target_name },
    result: r.result,
    sourceAddress: r.source_address,
    instanceId: r.instance_id,
    changes: r.changes,
    count: r.count,
    topic: r.topic,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

function toHead(r: HeadRow): ChainHead {
  return {
    lastSeq: Number(r.last_seq),
    lastHash: r.last_hash,
    prunedSeq: Number(r.pruned_seq),
    prunedHash: r.pruned_hash,
    prunedAt: r.pruned_at === null ? null : new Date(r.pruned_at),
  };
}

/**
 * The audit tables (ADR 0016). Append-only: there is no method that updates or deletes an event,
 * except {@link pruneThrough}, the retention prune, which removes a prefix of the chain and records
 * its head. Appends lock the chain-head row (`SELECT … FOR UPDATE`), so that every process writing to
 * the database extends the same chain, in one order.
 */
@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Appends `events` in this order at the end of the chain, in one transaction; answers them stored. */
  append(events: readonly UnchainedEvent[]): Promise<AuditEvent[]> {
    return inTransaction(this.dataSource, async (m) => {
      const head = await this.lockHead(m);
      let seq = head.lastSeq;
      let prev = head.lastHash;
      const stored = events.map((e): AuditEvent => {
        seq += 1;
        const hashed: HashedFields = { ...e, seq };
        const hash = eventHash(hashed, prev);
        const event = { ...hashed, prevHash: prev, hash };
        prev = hash;
        return event;
      });
      if (stored.length === 0) return stored;
      const values: unknown[] = [];
      const tuples = stored.map((e, i) => {
        values.push(
          e.id,
          e.seq,
          e.at,
          e.actor?.id ?? null,
          e.actor?.username ?? null,
          e.action,
          e.target.type,
          e.target.id,
          e.target.name,
          e.result,
          e.sourceAddress,
          e.instanceId,
          e.changes === null ? null : JSON.stringify(e.changes),
          e.count,
          e.topic,
          e.prevHash,
          e.hash,
        );
        const p = (k: number) => `$${i * PER_ROW + k}`;
        return `(${Array.from({ length: PER_ROW }, (_, k) => (k === 12 ? `${p(k + 1)}::jsonb` : p(k + 1))).join(', ')})`;
      });
      await m.query(`INSERT INTO audit_events (${COLUMNS}) VALUES ${tuples.join(', ')}`, values);
      await m.query(`UPDATE audit_chain SET last_seq = $1, last_hash = $2 WHERE id = 1`, [seq, prev]);
      return stored;
    });
  }

  /** The chain head. */
  async head(): Promise<ChainHead> {
    const rows = await this.dataSource.query<HeadRow[]>(
      `SELECT last_seq, last_hash, pruned_seq, pruned_hash, pruned_at FROM audit_chain WHERE id = 1`,
    );
    if (rows.length === 0) throw new Error('audit_chain has no head row');
    return toHead(rows[0]);
  }

  /** Newest first (by chain position), filtered; one more row than `limit` tells that a next page exists. */
  async list(f: AuditListFilter): Promise<AuditEvent[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (f.actor !== undefined) {
      if (UUID.test(f.actor)) add((p) => `actor_id = ${p}::uuid`, f.actor);
      else add((p) => `lower(actor_username) = lower(${p})`, f.actor);
    }
    if (f.action !== undefined) add((p) => `action = ${p}`, f.action);
    if (f.targetId !== undefined) add((p) => `target_id = ${p}`, f.targetId);
    if (f.result !== undefined) add((p) => `result = ${p}`, f.result);
    if (f.from !== undefined) add((p) => `at >= ${p}`, f.from);
    if (f.to !== undefined) add((p) => `at <= ${p}`, f.to);
    if (f.beforeSeq !== undefined) add((p) => `seq < ${p}`, f.beforeSeq);
    params.push(f.limit + 1);
    const rows = await this.dataSource.query<EventRow[]>(
      `SELECT ${COLUMNS} FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toEvent);
  }

  /** Up to `limit` events after `afterSeq` and at most `throughSeq`, in chain order (for a verify walk). */
  async walk(afterSeq: number, throughSeq: number, limit: number): Promise<AuditEvent[]> {
    const rows = await this.dataSource.query<EventRow[]>(
      `SELECT ${COLUMNS} FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3`,
      [afterSeq, throughSeq, limit],
    );
    return rows.map(toEvent);
  }

  /**
   * Retention: removes every event up to the last one before the first event at or after `cutoff` (a
   * prefix of the chain, so what remains still verifies), and records the removed head in the chain
   * row. Answers how many events were removed. The trigger lets these deletes through only because
   * this transaction sets `gatehouse.audit_prune`.
   */
  pruneThrough(cutoff: Date): Promise<{ removed: number; prunedSeq: number }> {
    return inTransaction(this.dataSource, async (m) => {
      const head = await this.lockHead(m);
      const [bound] = await m.query<{ first_kept: string | null }[]>(
        `SELECT min(seq) AS first_kept FROM audit_events WHERE at >= $1 AND seq > $2`,
        [cutoff, head.prunedSeq],
      );
      const through = bound.first_kept === null ? head.lastSeq : Number(bound.first_kept) - 1;
      if (through <= head.prunedSeq) return { removed: 0, prunedSeq: head.prunedSeq };
      const last = await m.query<{ hash: string }[]>(`SELECT hash FROM audit_events WHERE seq = $1`, [
        through,
      ]);
      if (last.length === 0) throw new Error(`audit event ${through} is missing: not pruning`);
      await m.query(`SELECT set_config('gatehouse.audit_prune', 'on', true)`);
      // a SELECT around the DELETE: TypeORM answers a bare DELETE with [rows, rowCount]
      const [deleted] = await m.query<{ n: number }[]>(
        `WITH d AS (DELETE FROM audit_events WHERE seq > $1 AND seq <= $2 RETURNING 1) SELECT count(*)::int AS n FROM d`,
        [head.prunedSeq, through],
      );
      await m.query(`SELECT set_config('gatehouse.audit_prune', 'off', true)`);
      await m.query(
        `UPDATE audit_chain SET pruned_seq = $1, pruned_hash = $2, pruned_at = now() WHERE id = 1`,
        [through, last[0].hash],
      );
      return { removed: deleted.n, prunedSeq: through };
    });
  }

  private async lockHead(m: EntityManager): Promise<ChainHead> {
    const rows = await m.query<HeadRow[]>(
      `SELECT last_seq, last_hash, pruned_seq, pruned_hash, pruned_at FROM audit_chain WHERE id = 1 FOR UPDATE`,
    );
    if (rows.length === 0) throw new Error('audit_chain has no head row');
    return toHead(rows[0]);
  }
}
