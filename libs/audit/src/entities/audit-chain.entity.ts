import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The head of the audit chain: one row (`id = 1`), locked `FOR UPDATE` by every append so that every
 * admin-api instance on the database extends one chain (ADR 0016). `prunedSeq`/`prunedHash` are the
 * last event removed by retention: a verify starts from them.
 */
@Entity('audit_chain')
export class AuditChainEntity {
  @PrimaryColumn({ type: 'smallint' }) id!: number;
  @Column({ type: 'bigint' }) lastSeq!: string;
  @Column({ type: 'varchar', length: 64 }) lastHash!: string;
  @Column({ type: 'bigint' }) prunedSeq!: string;
  @Column({ type: 'varchar', length: 64 }) prunedHash!: string;
  @Column({ type: 'timestamptz', nullable: true }) prunedAt!: Date | null;
}
