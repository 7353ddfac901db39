import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Every issued access token (its `jti`), so that it can be listed and revoked. */
@Entity('tokens')
export class TokenEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ type: 'uuid' }) userId!: string;
  @Column({ type: 'varchar', length: 128, nullable: true }) label!: string | null;
  @Column({ type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
  @Column({ type: 'timestamptz' }) expiresAt!: Date;
  @Column({ type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  @Column({ type: 'timestamptz', nullable: true }) lastUsedAt!: Date | null;
}
