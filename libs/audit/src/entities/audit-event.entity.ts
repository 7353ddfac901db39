import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One audit event (SPEC 6): append-only. The table refuses UPDATE, DELETE and TRUNCATE by trigger
 * except inside the retention prune (ADR 0016); the hash chain makes any other change detectable.
 */
@Entity('audit_events')
export class AuditEventEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  /** bigint: TypeORM hands it out as a string. */
  @Column({ type: 'bigint' }) seq!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ type: 'uuid', nullable: true }) actorId!: string | null;
  @Column({ type: 'varchar', length: 256, nullable: true }) actorUsername!: string | null;
  @Column({ type: 'varchar', length: 64 }) action!: string;
  @Column({ type: 'varchar', length: 64 }) targetType!: string;
  @Column({ type: 'varchar', length: 1024, nullable: true }) targetId!: string | null;
  @Column({ type: 'varchar', length: 1024, nullable: true }) targetName!: string | null;
  @Column({ type: 'varchar', length: 16 }) result!: string;
  @Column({ type: 'varchar', length: 64, nullable: true }) sourceAddress!: string | null;
  @Column({ type: 'varchar', length: 256 }) instanceId!: string;
  @Column({ type: 'jsonb', nullable: true }) changes!: unknown;
  @Column({ type: 'integer', nullable: true }) count!: number | null;
  @Column({ type: 'text', nullable: true }) topic!: string | null;
  @Column({ type: 'varchar', length: 64 }) prevHash!: string;
  @Column({ type: 'varchar', length: 64 }) hash!: string;
}
