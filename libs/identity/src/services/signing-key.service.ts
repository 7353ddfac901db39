import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { DataSource } from 'typeorm';
import { SigningKeyEntity } from '../entities';

export const TOKEN_ALGORITHM = 'ES256';

/**
 * The asymmetric key pair that signs access tokens. Generated on first start and stored in the
 * database, so that every admin-api instance on the same database signs and verifies alike.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private key: { kid: string; privateKey: CryptoKey; publicKey: CryptoKey } | undefined;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    await this.load();
  }

  get current(): { kid: string; privateKey: CryptoKey; publicKey: CryptoKey } {
    if (!this.key) throw new Error('signing key not loaded');
    return this.key;
  }

  private async load(): Promise<void> {
    const repo = this.dataSource.getRepository(SigningKeyEntity);
    let row = await repo.findOne({
      where: {},
      order: { createdAt: 'ASC' },
      select: { id: true, algorithm: true, publicJwk: true, privateJwk: true, createdAt: true },
    });
    if (!row) {
      const pair = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
      const kid = randomUUID();
      await this.dataSource.query(
        `INSERT INTO signing_keys (id, algorithm, public_jwk, private_jwk) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [
          kid,
          TOKEN_ALGORITHM,
          JSON.stringify(await exportJWK(pair.publicKey)),
          JSON.stringify(await exportJWK(pair.privateKey)),
        ],
      );
      // Another instance may have won the race: read back whichever key is the oldest.
      row = await repo.findOneOrFail({
        where: {},
        order: { createdAt: 'ASC' },
        select: { id: true, algorithm: true, publicJwk: true, privateJwk: true, createdAt: true },
      });
    }
    this.key = {
      kid: row.id,
      privateKey: (await importJWK(row.privateJwk as JWK, row.algorithm)) as CryptoKey,
      publicKey: (await importJWK(row.publicJwk as JWK, row.algorithm)) as CryptoKey,
    };
  }
}
