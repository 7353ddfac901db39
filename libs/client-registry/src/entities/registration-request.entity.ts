import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type RegistrationState = 'pending' | 'granted' | 'rejected' | 'expired';
export const REGISTRATION_STATES: readonly RegistrationState[] = [
  'pending',
  'granted',
  'rejected',
  'expired',
];
export type RegistrationSource = 'rest' | 'mqtt';

/** A device's request for credentials (SPEC 4). The password hash never leaves the lib. */
@Entity('registration_requests')
export class RegistrationRequestEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 128 }) username!: string;
  @Column({ type: 'varchar', length: 16 }) state!: RegistrationState;
  @Column({ type: 'varchar', length: 8 }) source!: RegistrationSource;
  @Column({ type: 'char', length: 6 }) pairingId!: string;
  /** Whether the request carried a password (the hash itself is dropped once no longer needed). */
  @Column({ type: 'boolean', default: false }) hasPassword!: boolean;
  @Column({ type: 'text', nullable: true, select: false }) passwordHash!: string | null;
  @Column({ type: 'text', nullable: true }) csrPem!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) publicKeySha256!: string | null;
  @Column({ type: 'varchar', length: 1024, nullable: true }) context!: string | null;
  @Column({ type: 'jsonb', default: () => `'[]'` }) requestedRoles!: string[];
  @Column({ type: 'jsonb', default: () => `'[]'` }) requestedPermissions!: {
    context: 'mqtt' | 'http';
    resource: string;
    operation: 'read' | 'write' | 'readWrite';
  }[];
  @Column({ type: 'varchar', length: 1024, nullable: true }) clientId!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) remoteAddress!: string | null;
  @Column({ type: 'integer', default: 1 }) attempts!: number;
  @Column({ type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
  @Column({ type: 'timestamptz', default: () => 'now()' }) lastSeenAt!: Date;
  @Column({ type: 'timestamptz' }) expiresAt!: Date;
  @Column({ type: 'timestamptz', nullable: true }) decidedAt!: Date | null;
  @Column({ type: 'uuid', nullable: true }) decidedBy!: string | null;
  @Column({ type: 'uuid', nullable: true }) userId!: string | null;
  @Column({ type: 'text', nullable: true }) certificatePem!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) certificateFingerprint!: string | null;
}
