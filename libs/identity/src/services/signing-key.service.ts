import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { SigningKeyRepository } from '../repositories/signing-key.repository';

export const TOKEN_ALGORITHM = 'ES256';

/**
 * The asymmetric key pair that signs access tokens. Generated on first start and stored in the
 * database, so that every admin-api instance on the same database signs and verifies alike.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private key: { kid: string; privateKey: CryptoKey; publicKey: CryptoKey } | undefined;

  constructor(private readonly repository: SigningKeyRepository) {}

  async onModuleInit(): Promise<void> {
    await this.load();
  }

  get current(): { kid: string; privateKey: CryptoKey; publicKey: CryptoKey } {
    if (!this.key) throw new Error('signing key not loaded');
    return this.key;
  }

  private async load(): Promise<void> {
    let row = await this.repository.findOldestWithPrivateKey();
    if (!row) {
      const pair = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
      await this.repository.insertIfAbsent({
        id: randomUUID(),
        algorithm: TOKEN_ALGORITHM,
        publicJwk: { ...(await exportJWK(pair.publicKey)) },
        privateJwk: { ...(await exportJWK(pair.privateKey)) },
      });
      // Another instance may have won the race: read back whichever key is the oldest.
      row = await this.repository.findOldestWithPrivateKey();
      if (!row) throw new Error('the token signing key could not be stored');
    }
    this.key = {
      kid: row.id,
      privateKey: (await importJWK(row.privateJwk as JWK, row.algorithm)) as CryptoKey,
      publicKey: (await importJWK(row.publicJwk as JWK, row.algorithm)) as CryptoKey,
    };
  }
}
