import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A client certificate issued to a user (SPEC 1.3 `certificates`): only public facts, never a key. */
@Entity('user_certificates')
export class UserCertificateEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'uuid' }) userId!: string;
  /** SHA-256 of the DER certificate, lower-case hex (what the TLS listener reports). */
  @Column({ type: 'varchar', length: 64 }) fingerprint!: string;
  @Column({ type: 'varchar', length: 64 }) serial!: string;
  @Column({ type: 'timestamptz' }) notBefore!: Date;
  @Column({ type: 'timestamptz' }) notAfter!: Date;
  @Column({ type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  @Column({ type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
}
