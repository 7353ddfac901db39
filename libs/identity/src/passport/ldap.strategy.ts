import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy as CustomStrategy } from 'passport-custom';
import { LoginService, type VerifiedLogin } from '../services/login.service';
import type { StrategyRequest } from './bearer-token';
import { loginInputOf } from './login-input';
import { ScopedStrategyName } from './strategy-registration';

export const LDAP_STRATEGY = 'ldap';

/**
 * Step 2 of `POST /api/login` (SPEC 2.1a, ADR 0024, 0026): the directory password through
 * LdapLoginService (ldapts; the bound DN decides, groups synced), then the MFA step. Always decides:
 * the user, or the login's error (`IDENTITY.INVALID_CREDENTIALS`, 503 `IDENTITY.DIRECTORY_UNAVAILABLE`
 * for a federated or unknown name, 409 `IDENTITY.FEDERATED_NAME_CLASH`, …). A local user is never
 * logged in here; its login does not depend on the directory.
 */
@Injectable()
export class LdapStrategy extends PassportStrategy(CustomStrategy, LDAP_STRATEGY) implements OnModuleDestroy {
  readonly scoped = new ScopedStrategyName(LDAP_STRATEGY, this);

  constructor(private readonly login: LoginService) {
    super();
  }

  async validate(req: StrategyRequest): Promise<VerifiedLogin> {
    return this.login.verifyDirectory(loginInputOf(req));
  }

  onModuleDestroy(): void {
    this.scoped.release();
  }
}
