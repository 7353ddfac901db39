import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AuthenticateRequestDto, AuthenticateResultDto } from '@gatehouse/contracts';
import { DataSource } from 'typeorm';
import { BatchedLookup, isCanonicalUuid, readQuery } from '@gatehouse/persistence';
import { UserEntity } from '../entities';
import { IdentityError } from '../identity.error';
import { REGISTRATION_ATTEMPT_SINK, type RegistrationAttemptSink } from '../identity.options';
import type { PermissionInput } from '../identity.types';
import { CertificateService } from './certificate.service';
import { LoginThrottle } from './login-throttle.service';
import { PasswordHasher } from './password-hasher.service';
import { PrincipalService } from './principal.service';
import { type IssuedToken, TokenService } from './token.service';
import { TokenUsageRecorder } from './token-usage-recorder.service';

/** The authenticated caller of an HTTP request. */
export interface AuthSession {
  userId: string;
  username: string;
  tokenId: string;
  /** Bumped whenever the effective permissions change: a cache key for compiled matchers. */
  permissionsVersion: number;
  /**
   * The user still has a generated initial password (ADR 0010): until it is changed, the session
   * reaches only the `/api/me` routes.
   */
  passwordChangeRequired: boolean;
}

export interface LoginInput {
  username: string;
  password: string;
  expireTimeInHours?: number;
  label?: string;
  ip?: string;
}

const INVALID = 'invalid username or password';

interface UsableToken {
  user_id: string;
  username: string;
  permissions_version: number;
  password_change_required: boolean;
}

/** Login, bearer-token authentication and MQTT CONNECT authentication (SPEC 2.1, 3). */
@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly throttle: LoginThrottle,
    private readonly principals: PrincipalService,
    private readonly certificates: CertificateService,
    private readonly usage: TokenUsageRecorder,
    @Optional() @Inject(REGISTRATION_ATTEMPT_SINK) private readonly registrations?: RegistrationAttemptSink,
  ) {}

  /**
   * The token check of every authenticated request, coalesced: the checks of the requests that arrive
   * in the same turn of the event loop share one query. Revocation, expiry and the user's state are
   * decided in SQL, so only a usable token returns a row.
   */
  private readonly usableTokens = new BatchedLookup<string, UsableToken>(async (ids) => {
    const rows: (UsableToken & { id: string })[] = await readQuery(
      this.dataSource,
      `SELECT t.id, t.user_id, u.username, u.permissions_version, u.password_change_required
           FROM tokens t JOIN users u ON u.id = t.user_id
          WHERE t.id = ANY($1::uuid[]) AND t.revoked_at IS NULL AND t.expires_at > now() AND u.enabled`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r]));
  });

  /**
   * Unknown user, wrong password and a user without the password grant answer the same error
   * after the same argon2 work (no enumeration). Failures count per username and per IP.
   */
  async login(input: LoginInput): Promise<IssuedToken> {
    // a lifetime above the server's cap is refused before any credential is looked at (ADR 0009)
    this.tokens.lifetimeHours({ expireTimeInHours: input.expireTimeInHours, label: input.label });
    this.throttle.assertAllowed(input.username, input.ip);
    const user = await this.verifyPassword(input.username, input.password);
    if (!user || !user.enabled) {
      this.throttle.recordFailure(input.username, input.ip);
      throw new IdentityError('IDENTITY.INVALID_CREDENTIALS', INVALID);
    }
    this.throttle.recordSuccess(input.username);
    await this.dataSource.getRepository(UserEntity).update({ id: user.id }, { lastLoginAt: new Date() });
    return this.tokens.issue(user.id, { expireTimeInHours: input.expireTimeInHours, label: input.label });
  }

  /** Verifies a bearer token and that it is not revoked, not expired and its user enabled. */
  async authenticateBearer(token: string): Promise<AuthSession> {
    const { userId, tokenId } = await this.tokens.verifySignature(token);
    const row = isCanonicalUuid(tokenId) // a token id as issued (`randomUUID()`)
      ? await this.usableTokens.load(tokenId)
      : undefined;
    if (!row || row.user_id !== userId)
      throw new IdentityError('IDENTITY.INVALID_TOKEN', 'invalid or expired token');
    this.usage.used(tokenId); // in memory; written at most once a minute (ADR 0009)
    return {
      userId,
      username: row.username,
      tokenId,
      permissionsVersion: row.permissions_version,
      passwordChangeRequired: row.password_change_required,
    };
  }

  async logout(session: AuthSession): Promise<void> {
    await this.tokens.revoke(session.userId, session.tokenId);
  }

  async effectiveRules(userId: string): Promise<PermissionInput[]> {
    return this.principals.effectiveRules(userId);
  }

  /**
   * MQTT CONNECT (SPEC 3): a client certificate the TLS listener verified (registered on the user, not
   * revoked, user holds the `certificate` grant), or username and password (or a token issued to that
   * user as the password). An unknown username while the client registry is unlocked is recorded as a
   * pending registration request (SPEC 4, MQTT flow) and answered `pending-registration`.
   */
  async authenticateMqtt(req: AuthenticateRequestDto): Promise<AuthenticateResultDto> {
    try {
      this.throttle.assertAllowed(req.username, req.remoteAddress);
    } catch {
      return { outcome: 'rate-limited' };
    }
    const password = req.password ?? '';
    let userId: string | undefined;
    let method: 'password' | 'token' | 'certificate' = 'password';
    let tokenId: string | undefined;
    /** A generated initial password not changed yet (ADR 0010). */
    let changeRequired = false;
    if (req.certificateFingerprint) {
      const cert = await this.certificates.findActive(req.username, req.certificateFingerprint);
      if (cert && !cert.hasCertificateGrant) return { outcome: 'not-authorized' };
      if (cert) {
        userId = cert.userId;
        method = 'certificate';
        changeRequired = await this.passwordChangeRequired(cert.userId);
      } else if (!req.password) {
        this.throttle.recordFailure(req.username, req.remoteAddress);
        return { outcome: 'bad-credentials' };
      }
    }
    if (!userId && TokenService.looksLikeToken(password)) {
      try {
        const session = await this.authenticateBearer(password);
        if (session.username === req.username) {
          userId = session.userId;
          method = 'token';
          tokenId = session.tokenId;
          changeRequired = session.passwordChangeRequired;
        }
      } catch {
        /* not a valid token: try it as a password */
      }
    }
    if (!userId) {
      const { user, exists } = await this.verifyPasswordOf(req.username, password);
      if (!user) {
        if (!exists && password && (await this.recordRegistrationAttempt(req, password)))
          return { outcome: 'pending-registration' };
        this.throttle.recordFailure(req.username, req.remoteAddress);
        return { outcome: 'bad-credentials' };
      }
      userId = user.id;
      changeRequired = user.passwordChangeRequired;
    }
    // ADR 0010: until its generated initial password is changed, the account has no MQTT access
    // (CONNACK 5), as it has no HTTP access beyond /api/me
    if (changeRequired) return { outcome: 'not-authorized' };
    const principal = await this.principals.principal(userId);
    if (!principal) return { outcome: 'bad-credentials' };
    if (!principal.enabled) return { outcome: 'not-authorized' };
    this.throttle.recordSuccess(req.username);
    return {
      outcome: 'ok',
      principal,
      method,
      ...(tokenId ? { tokenId } : {}),
      ...(method === 'certificate'
        ? { certificateFingerprint: req.certificateFingerprint?.toLowerCase() }
        : {}),
    };
  }

  private async passwordChangeRequired(userId: string): Promise<boolean> {
    const row = await this.dataSource
      .getRepository(UserEntity)
      .findOne({ where: { id: userId }, select: { id: true, passwordChangeRequired: true } });
    return row?.passwordChangeRequired ?? false;
  }

  private async recordRegistrationAttempt(req: AuthenticateRequestDto, password: string): Promise<boolean> {
    if (!this.registrations) return false;
    return this.registrations.recordMqttAttempt({
      username: req.username,
      password,
      clientId: req.clientId,
      ...(req.remoteAddress ? { remoteAddress: req.remoteAddress } : {}),
    });
  }

  /** The user if the password is right and the user may use a password; null otherwise. */
  private async verifyPassword(username: string, password: string): Promise<UserEntity | null> {
    return (await this.verifyPasswordOf(username, password)).user;
  }

  /** Like {@link verifyPassword}, and whether the username exists at all (after the same argon2 work). */
  private async verifyPasswordOf(
    username: string,
    password: string,
  ): Promise<{ user: UserEntity | null; exists: boolean }> {
    const user = await this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.username = :username', { username })
      .getOne();
    const ok = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !ok) return { user: null, exists: !!user };
    if (!user.grantTypes.some((g) => g.method === 'password')) return { user: null, exists: true };
    return { user, exists: true };
  }
}
