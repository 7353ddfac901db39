import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The generated Gatehouse CA: its certificate and its private key, encrypted (PKCS#8, AES-256). */
@Entity('certificate_authorities')
export class CertificateAuthorityEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 }) id!: string;
  @Column({ type: 'text' }) certificatePem!: string;
  @Column({ type: 'text', select: false }) encryptedKeyPem!: string;
  @Column({ type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
}
