import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { IDENTITY_OPTIONS, type IdentityOptions } from '../identity.options';
import { InitialPasswordFile } from './initial-password-file.service';
import { UserService } from './user.service';

export const ADMIN_ROLE_ID = '00000000-0000-4000-8000-000000000001';
export const MINIMUM_ACCESS_ROLE_ID = '00000000-0000-4000-8000-000000000002';

/**
 * No default password (SPEC 2.1): when no user exists, creates the initial administrator from
 * ADMIN_USERNAME / ADMIN_PASSWORD, or with a random password (ADR 0010). A generated password must be
 * changed at the first login (ASVS 6.4.1) and is kept in `DATA_DIR/initial-admin-password` (0600)
 * until then; every start names that file while the password is unchanged.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Gatehouse');
  /** The generated password, when one was generated in this process (for the start banner). */
  generatedPassword: string | undefined;
  /** The file holding a generated initial password that has not been changed yet. */
  initialPasswordFile: string | undefined;

  constructor(
    private readonly users: UserService,
    private readonly file: InitialPasswordFile,
    @Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.count()) > 0) return this.reportUnchangedPassword();
    const generated = this.options.adminPassword === undefined;
    const password = this.options.adminPassword ?? randomBytes(18).toString('base64url');
    try {
      await this.users.create(
        { username: this.options.adminUsername, password, roles: [ADMIN_ROLE_ID] },
        { passwordChangeRequired: generated },
      );
    } catch (err) {
      // another instance won the race: it created the admin (and, if generated, its own file)
      if ((err as { code?: string }).code === 'IDENTITY.USER_EXISTS') return this.reportUnchangedPassword();
      throw err;
    }
    if (!generated) {
      this.logger.log(`initial admin "${this.options.adminUsername}" created from ADMIN_PASSWORD`);
      return;
    }
    this.generatedPassword = password;
    this.initialPasswordFile = await this.file.write(password);
    this.logger.warn(
      `initial admin "${this.options.adminUsername}" created with a generated password` +
        (this.initialPasswordFile ? `, kept in ${this.initialPasswordFile} (mode 0600)` : '') +
        `; it must be changed at the first login (PUT /api/me/password)`,
    );
  }

  /** On a later start: name the file while the generated password is unchanged, delete it once changed. */
  private async reportUnchangedPassword(): Promise<void> {
    const waiting = await this.users.usernamesWithPasswordChangeRequired();
    if (waiting.length === 0) {
      await this.file.remove();
      return;
    }
    const names = waiting.map((u) => JSON.stringify(u)).join(', ');
    this.initialPasswordFile = this.file.existing();
    this.logger.warn(
      `the generated initial password of ${names} has not been changed yet` +
        (this.initialPasswordFile ? `: it is in ${this.initialPasswordFile} (mode 0600)` : '') +
        `; log in and change it (PUT /api/me/password)`,
    );
  }
}
