import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { SigningKeyEntity } from '../entities';

/** The `signing_keys` table: the key pair that signs access tokens (the private half is never selected by default). */
@Injectable()
export class SigningKeyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The oldest key, with its private half; null when there is none yet. */
  findOldestWithPrivateKey(): Promise<SigningKeyEntity | null> {
    return this.dataSource.getRepository(SigningKeyEntity).findOne({
      where: {},
      order: { createdAt: 'ASC' },
      select: { id: true, algorithm: true, publicJwk: true, privateJwk: true, createdAt: true },
    });
  }

  /** Stores a key unless one with its id exists (then nothing changes). */
  async insertIfAbsent(key: {
    id: string;
    algorithm: string;
    publicJwk: Record<string, unknown>;
    privateJwk: Record<string, unknown>;
  }): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO signing_keys (id, algorithm, public_jwk, private_jwk) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [key.id, key.algorithm, JSON.stringify(key.publicJwk), JSON.stringify(key.privateJwk)],
    );
  }
}
