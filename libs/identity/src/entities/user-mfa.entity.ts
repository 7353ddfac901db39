import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A user's TOTP enrolment (SPEC 2.1, ADR 0020): pending until confirmed. The secret is sealed with
 * AES-256-GCM (MfaCipher) and never selected by default; SQL lives in MfaRepository.
 */
@Entity('user_mfa')
export class UserMfaEntity {
  @PrimaryColumn({ type: 'uuid' }) userId!: string;
  @Column({ type: 'bytea', select: false }) sealedSecret!: Buffer;
  @Column({ type: 'timestamptz', nullable: true }) confirmedAt!: Date | null;
  /** The last TOTP time step accepted: a code of that step or an earlier one is refused (replay). */
  @Column({ type: 'bigint', nullable: true }) lastUsedStep!: string | null;
  @Column({ type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
}
