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

/** The authenticated caller of an HTTP request. */
export interface AuthSession {
  userId: string;
  username: string;
  tokenId: string;
  /** Bumped whenever the effective permissions change: a cache key for compiled matchers. */
  permissionsVersion: number;
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
      `SELECT t.id, t.user_id, u.username, u.permissions_version
           FROM tokens t JOIN users u ON u.id = t.user_id
          WHERE t.id = ANY($1::uuid[]) AND t.revoked_at IS NULL AND t.expires_at > now() AND u.enabled`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r]));
  });

  /**
   * Unknown user, wrong password and a user without the password grant answer the same error
   * after the same argon2 work (no enumeration). Failures count per (username, address), per username
   * and, against existing usernames only, per address (ADR 0003).
   */
  async login(input: LoginInput): Promise<IssuedToken> {
    await this.throttle.assertAllowed(input.username, input.ip);
    const { user, exists } = await this.verifyPasswordOf(input.username, input.password);
    if (!user || !user.enabled) {
      await this.throttle.recordFailure(input.username, input.ip, exists);
      throw new IdentityError('IDENTITY.INVALID_CREDENTIALS', INVALID);
    }
    await this.throttle.recordSuccess(input.username, input.ip);
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
    return { userId, username: row.username, tokenId, permissionsVersion: row.permissions_version };
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
    if ((await this.throttle.retryAfter(req.username, req.remoteAddress)) > 0)
      return { outcome: 'rate-limited' };
    const password = req.password ?? '';
    let userId: string | undefined;
    let method: 'password' | 'token' | 'certificate' = 'password';
    let tokenId: string | undefined;
    if (req.certificateFingerprint) {
      const cert = await this.certificates.findActive(req.username, req.certificateFingerprint);
      if (cert && !cert.hasCertificateGrant) return { outcome: 'not-authorized' };
      if (cert) {
        userId = cert.userId;
        method = 'certificate';
      } else if (!req.password) {
        await this.throttle.recordFailure(req.username, req.remoteAddress, false);
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
        await this.throttle.recordFailure(req.username, req.remoteAddress, exists);
        return { outcome: 'bad-credentials' };
      }
      userId = user.id;
    }
    const principal = await this.principals.principal(userId);
    if (!principal) return { outcome: 'bad-credentials' };
    if (!principal.enabled) return { outcome: 'not-authorized' };
    await this.throttle.recordSuccess(req.username, req.remoteAddress);
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

  private async recordRegistrationAttempt(req: AuthenticateRequestDto, password: string): Promise<boolean> {
    if (!this.registrations) return false;
    return this.registrations.recordMqttAttempt({
      username: req.username,
      password,
      clientId: req.clientId,
      ...(req.remoteAddress ? { remoteAddress: req.remoteAddress } : {}),
    });
  }

  /**
   * The user if the password is right and the user may use a password (null otherwise), and whether the
   * username exists at all (after the same argon2 work, so that the answer does not tell).
   */
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
