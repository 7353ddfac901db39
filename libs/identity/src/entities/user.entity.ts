import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export interface GrantType {
  method: 'password' | 'certificate' | 'token';
  isRequired: boolean;
}

/** A person or a machine (SPEC 1.3). The hash never leaves the identity lib. */
@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 128 }) username!: string;
  @Column({ type: 'text', nullable: true, select: false }) passwordHash!: string | null;
  @Column({ type: 'varchar', length: 32, default: 'local' }) identityProvider!: string;
  @Column({ type: 'jsonb' }) grantTypes!: GrantType[];
  @Column({ type: 'boolean', default: true }) enabled!: boolean;
  @Column({ type: 'varchar', length: 1024, nullable: true }) mqttPublishPrefix!: string | null;
  @Column({ type: 'boolean', default: false }) enforceMfaEnrollment!: boolean;
  @Column({ type: 'integer', default: 0 }) permissionsVersion!: number;
  @Column({ type: 'integer', default: 1 }) version!: number;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt!: Date;
  @Column({ type: 'timestamptz', nullable: true }) lastLoginAt!: Date | null;
  /** A generated initial password that must be changed before anything but `/api/me*` (ADR 0010). */
  @Column({ type: 'boolean', default: false }) passwordChangeRequired!: boolean;
  /** A federated user's provider instance (LDAP_DIRECTORY_ID) and subject (its DN): ADR 0024. */
  @Column({ type: 'varchar', length: 255, nullable: true }) externalIssuer!: string | null;
  @Column({ type: 'varchar', length: 2048, nullable: true }) externalSubject!: string | null;
  /** The groups the directory reported at the last login (lower case cn and DN); null for a local user. */
  @Column({ type: 'text', array: true, nullable: true }) externalGroups!: string[] | null;
}
