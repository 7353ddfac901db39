import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One single-use backup code, stored as its keyed hash only (ADR 0020). */
@Entity('mfa_backup_codes')
export class MfaBackupCodeEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'uuid' }) userId!: string;
  @Column({ type: 'bytea', select: false }) codeHash!: Buffer;
  @Column({ type: 'timestamptz', nullable: true }) usedAt!: Date | null;
  @Column({ type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
}
