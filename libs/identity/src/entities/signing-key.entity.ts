import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('signing_keys')
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) id!: string;
  @Column({ type: 'varchar', length: 16 }) algorithm!: string;
  @Column({ type: 'jsonb' }) publicJwk!: Record<string, unknown>;
  @Column({ type: 'jsonb', select: false }) privateJwk!: Record<string, unknown>;
  @Column({ type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
}
