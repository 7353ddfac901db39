import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy as CustomStrategy } from 'passport-custom';
import { LoginService, type VerifiedLogin } from '../services/login.service';
import type { StrategyRequest } from './bearer-token';
import { loginInputOf } from './login-input';
import { ScopedStrategyName } from './strategy-registration';

export const LOCAL_STRATEGY = 'local';

/**
 * Step 1 of `POST /api/login` (SPEC 2.1, ADR 0026): a local user's password (argon2), then the MFA
 * step (`AUTH.MFA_REQUIRED` without `otp` / `backupCode`, then the same call with one). Answers
 * `false` ("not mine", Passport tries the next strategy, `ldap`) only when the directory decides: LDAP
 * on and the name federated or unknown here, or a local user's password failed and the directory may
 * hold a user of that name (never logged in as the local user). Every refusal is thrown as the login's
 * error (`IDENTITY.INVALID_CREDENTIALS`, `IDENTITY.RATE_LIMITED` with Retry-After, `AUTH.MFA_*`, …).
 */
@Injectable()
export class LocalStrategy
  extends PassportStrategy(CustomStrategy, LOCAL_STRATEGY)
  implements OnModuleDestroy
{
  readonly scoped = new ScopedStrategyName(LOCAL_STRATEGY, this);

  constructor(private readonly login: LoginService) {
    super();
  }

  async validate(req: StrategyRequest): Promise<VerifiedLogin | false> {
    return (await this.login.verifyLocal(loginInputOf(req))) ?? false;
  }

  onModuleDestroy(): void {
    this.scoped.release();
  }
}
