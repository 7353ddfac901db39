import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

/** OWASP minimum for argon2id: m = 19 MiB, t = 2, p = 1 (SPEC 2.1). */
export const ARGON2_PARAMS = {
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** Hashes and verifies passwords with argon2id. */
@Injectable()
export class PasswordHasher {
  private dummy: Promise<string> | undefined;

  hash(password: string): Promise<string> {
    return argon2.hash(password, ARGON2_PARAMS);
  }

  async verify(hash: string | null | undefined, password: string): Promise<boolean> {
    if (!hash) {
      // Same work for an unknown user as for a wrong password: no user enumeration by timing.
      this.dummy ??= this.hash('gatehouse-dummy-password');
      await argon2.verify(await this.dummy, password).catch(() => false);
      return false;
    }
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }
}
