import { Injectable } from '@nestjs/common';
import { admitGrants } from '@gatehouse/contracts';
import { IdentityError } from '../identity.error';
import { UserRepository, type UserWithPasswordHash } from '../repositories/user.repository';
import { CredentialChecks, type PasswordCheck } from './credential-checks.service';
import { LoginThrottle } from './login-throttle.service';
import { MfaService } from './mfa.service';
import { type IssuedToken, TokenService } from './token.service';

export interface LoginInput {
  username: string;
  password: string;
  /** The second factor of an MFA user (SPEC 2.1): a TOTP code or a backup code. */
  otp?: string;
  backupCode?: string;
  expireTimeInHours?: number;
  label?: string;
  ip?: string;
}

/**
 * A login whose credentials (and second factor) were verified: what the `local` and `ldap` Passport
 * strategies put on the request, and all `issue()` needs. The token asked for travels with it, so the
 * token issued is the one whose lifetime and label were checked.
 */
export interface VerifiedLogin {
  readonly userId: string;
  readonly username: string;
  /** `enforceMFAEnrollment` and not enrolled (ADR 0020): the token reaches only the enrolment routes. */
  readonly mfaEnrollmentRequired: boolean;
  readonly token: { readonly expireTimeInHours?: number; readonly label?: string };
}

const INVALID = 'invalid username or password';

/**
 * `POST /api/login` (SPEC 2.1) in the steps the Passport strategies run (ADR 0026): `verifyLocal`
 * (strategy `local`), `verifyDirectory` (strategy `ldap`), then `issue`. Unknown user, wrong password
 * and a user without the password grant answer the same error after the same argon2 work (no
 * enumeration). Failures count per (username, address), per username and, against existing usernames
 * only, per address (ADR 0003).
 */
@Injectable()
export class LoginService {
  constructor(
    private readonly users: UserRepository,
    private readonly credentials: CredentialChecks,
    private readonly tokens: TokenService,
    private readonly throttle: LoginThrottle,
    private readonly mfa: MfaService,
  ) {}

  /** Both steps in order, then the token: the whole login without Passport. */
  async login(input: LoginInput): Promise<IssuedToken & { mfaEnrollmentRequired: boolean }> {
    const verified = (await this.verifyLocal(input)) ?? (await this.verifyDirectory(input));
    return this.issue(verified);
  }

  /**
   * Step 1: a local user's password and second factor. Null when the directory decides (LDAP on and
   * the name federated or unknown here, or a local user's password failed and the directory may hold
   * a user of that name); throws the login's error otherwise.
   */
  async verifyLocal(input: LoginInput): Promise<VerifiedLogin | null> {
    await this.preflight(input);
    const step = await this.credentials.localPassword(input.username, input.password);
    if (step.outcome === 'directory') return null;
    return this.admit(input, step);
  }

  /** Step 2: the directory password (LDAP, SPEC 2.1a) and second factor; throws the login's error. */
  async verifyDirectory(input: LoginInput): Promise<VerifiedLogin> {
    await this.preflight(input);
    return this.admit(input, await this.credentials.directoryPassword(input.username, input.password));
  }

  /** The token of a verified login (records the login time). */
  async issue(login: VerifiedLogin): Promise<IssuedToken & { mfaEnrollmentRequired: boolean }> {
    await this.users.recordLogin(login.userId);
    const issued = await this.tokens.issue(login.userId, login.token);
    return { ...issued, mfaEnrollmentRequired: login.mfaEnrollmentRequired };
  }

  /** Before any credential is looked at: the lifetime cap (ADR 0009), then the throttle (ADR 0003). */
  private async preflight(input: LoginInput): Promise<void> {
    this.tokens.lifetimeHours({ expireTimeInHours: input.expireTimeInHours, label: input.label });
    await this.throttle.assertAllowed(input.username, input.ip);
  }

  /** The password check's user, if enabled and admitted a password login (ADR 0011), then MFA. */
  private async admit(input: LoginInput, check: PasswordCheck): Promise<VerifiedLogin> {
    const user: UserWithPasswordHash | null =
      check.user && admitGrants(check.user.grantTypes, ['password']).ok ? check.user : null;
    if (!user || !user.enabled) {
      await this.throttle.recordFailure(input.username, input.ip, check.exists);
      throw new IdentityError('IDENTITY.INVALID_CREDENTIALS', INVALID);
    }
    const mfa = await this.mfa.checkLogin(user, input); // the second factor (SPEC 2.1, ADR 0020)
    await this.throttle.recordSuccess(input.username, input.ip);
    // A labelled token is a `token` credential (ADR 0011): never hand out one the grant types refuse.
    const labelled = input.label !== undefined ? admitGrants(user.grantTypes, ['token']) : undefined;
    if (labelled && !labelled.ok)
      throw new IdentityError(
        'IDENTITY.GRANT_REQUIRED',
        `the user's grant types do not admit a labelled token: ${labelled.reason}`,
      );
    return {
      userId: user.id,
      username: user.username,
      mfaEnrollmentRequired: mfa.enrollmentRequired,
      token: {
        ...(input.expireTimeInHours !== undefined ? { expireTimeInHours: input.expireTimeInHours } : {}),
        ...(input.label !== undefined ? { label: input.label } : {}),
      },
    };
  }
}
