import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { IDENTITY_OPTIONS, type IdentityOptions } from '../identity.options';
import { UserService } from './user.service';

export const ADMIN_ROLE_ID = '00000000-0000-4000-8000-000000000001';
export const MINIMUM_ACCESS_ROLE_ID = '00000000-0000-4000-8000-000000000002';

/**
 * No default password (SPEC 2.1): when no user exists, creates the initial administrator from
 * ADMIN_USERNAME / ADMIN_PASSWORD, or with a random password printed once.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Gatehouse');
  /** The generated password, when one was generated in this process (for the start banner). */
  generatedPassword: string | undefined;

  constructor(
    private readonly users: UserService,
    @Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.count()) > 0) return;
    const password = this.options.adminPassword ?? randomBytes(18).toString('base64url');
    try {
      await this.users.create({ username: this.options.adminUsername, password, roles: [ADMIN_ROLE_ID] });
    } catch (err) {
      if ((err as { code?: string }).code === 'IDENTITY.USER_EXISTS') return; // another instance won
      throw err;
    }
    if (!this.options.adminPassword) {
      this.generatedPassword = password;
      this.logger.warn(
        `initial admin "${this.options.adminUsername}" created with a generated password, printed once in the start banner; change it`,
      );
    } else {
      this.logger.log(`initial admin "${this.options.adminUsername}" created from ADMIN_PASSWORD`);
    }
  }
}
