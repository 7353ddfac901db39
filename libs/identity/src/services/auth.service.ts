import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  admitGrants,
  type AuthenticateRequestDto,
  type AuthenticateResultDto,
  type GrantMethod,
} from '@gatehouse/contracts';
import { BatchedLookup, isCanonicalUuid } from '@gatehouse/persistence';
import type { GrantType } from '../entities';
import { IdentityError } from '../identity.error';
import { REGISTRATION_ATTEMPT_SINK, type RegistrationAttemptSink } from '../identity.options';
import type { PermissionInput } from '../identity.types';
import { TokenRepository, type UsableTokenRow } from '../repositories/token.repository';
import { UserRepository } from '../repositories/user.repository';
import { CertificateService } from './certificate.service';
import { CredentialChecks, type PasswordCheck } from './credential-checks.service';
import { LoginThrottle } from './login-throttle.service';
import { MfaService } from './mfa.service';
import { PrincipalService } from './principal.service';
import { TokenService } from './token.service';
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
  /**
   * `enforceMFAEnrollment` and not enrolled yet (SPEC 2.1, ADR 0020): until enrolment is confirmed, the
   * session reaches only `/api/me` and `/api/me/mfa*`.
   */
  mfaEnrollmentRequired: boolean;
}

/** A token that may be used: signature, row, expiry, user enabled, and the grant of its kind held. */
interface VerifiedUsableToken {
  userId: string;
  tokenId: string;
  row: UsableTokenRow;
  /** ADR 0011: what using this token on HTTP proves (`token` for a labelled one, else `password`). */
  kind: GrantMethod;
}

/**
 * Bearer-token authentication (the `bearer` Passport strategy, ADR 0026), logout and MQTT CONNECT
 * authentication (SPEC 2.1, 3). The login is LoginService's.
 */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UserRepository,
    private readonly tokenRows: TokenRepository,
    private readonly tokens: TokenService,
    private readonly throttle: LoginThrottle,
    private readonly principals: PrincipalService,
    private readonly certificates: CertificateService,
    private readonly usage: TokenUsageRecorder,
    private readonly mfa: MfaService,
    private readonly credentials: CredentialChecks,
    @Optional() @Inject(REGISTRATION_ATTEMPT_SINK) private readonly registrations?: RegistrationAttemptSink,
  ) {}

  /**
   * The token check of every authenticated request, coalesced: the checks of the requests that arrive
   * in the same turn of the event loop share one query. Revocation, expiry and the user's state are
   * decided in SQL, so only a usable token returns a row.
   */
  private readonly usableTokens = new BatchedLookup<string, UsableTokenRow>(async (ids) => {
    const rows = await this.tokenRows.findUsable(ids);
    return new Map(rows.map((r) => [r.id, r]));
  });

  /**
   * Verifies a bearer token and that it is not revoked, not expired, its user enabled, and that the
   * user's grant types admit it (ADR 0011: a login token proves `password`, a labelled one `token`).
   */
  async authenticateBearer(token: string): Promise<AuthSession> {
    const { userId, tokenId, row, kind } = await this.usableToken(token);
    const grants = admitGrants(row.grant_types, [kind]);
    if (!grants.ok)
      throw new IdentityError(
        'IDENTITY.INVALID_TOKEN',
        `token not admitted by the user's grant types: ${grants.reason}`,
      );
    return {
      userId,
      username: row.username,
      tokenId,
      permissionsVersion: row.permissions_version,
      passwordChangeRequired: row.password_change_required,
      mfaEnrollmentRequired: row.mfa_enrollment_required && this.mfa.enabled,
    };
  }

  private async usableToken(token: string): Promise<VerifiedUsableToken> {
    const { userId, tokenId } = await this.tokens.verifySignature(token);
    const row = isCanonicalUuid(tokenId) // a token id as issued (`randomUUID()`)
      ? await this.usableTokens.load(tokenId)
      : undefined;
    if (!row || row.user_id !== userId)
      throw new IdentityError('IDENTITY.INVALID_TOKEN', 'invalid or expired token');
    const kind: GrantMethod = row.labelled ? 'token' : 'password';
    // A token of a kind whose grant was removed is dead, wherever it is used (ADR 0011).
    if (!row.grant_types.some((g) => g.method === kind))
      throw new IdentityError('IDENTITY.INVALID_TOKEN', `the user no longer holds the ${kind} grant type`);
    this.usage.used(tokenId); // in memory; written at most once a minute (ADR 0009)
    return { userId, tokenId, row, kind };
  }

  /**
   * Revokes the caller's token and tells the gateways (ASVS 7.4.1): MQTT sessions that logged in with
   * it end at once, and the gateways drop their cached verifications of the user.
   */
  async logout(session: AuthSession): Promise<void> {
    if (await this.tokens.revoke(session.userId, session.tokenId))
      await this.principals.notify([session.userId], 'token-revoked', { tokenId: session.tokenId });
  }

  async effectiveRules(userId: string): Promise<PermissionInput[]> {
    return this.principals.effectiveRules(userId);
  }

  /**
   * MQTT CONNECT (SPEC 3): a client certificate the TLS listener verified (registered on the user, not
   * revoked), and/or username and password (or a token issued to that user as the password). The
   * methods proven must satisfy the user's grant types (ADR 0011): at least one held, every
   * `isRequired` one presented, else `not-authorized` (CONNACK 5) with the reason. The answer names
   * every method proven and when the credential expires, so the gateway ends the session then.
   * An unknown username while the client registry is unlocked is recorded as a pending registration
   * request (SPEC 4, MQTT flow) and answered `pending-registration`.
   */
  async authenticateMqtt(req: AuthenticateRequestDto): Promise<AuthenticateResultDto> {
    if ((await this.throttle.retryAfter(req.username, req.remoteAddress)) > 0)
      return { outcome: 'rate-limited' };
    const password = req.password ?? '';
    const proven: GrantMethod[] = [];
    let userId: string | undefined;
    let grantTypes: readonly GrantType[] = [];
    let tokenId: string | undefined;
    let tokenKind: GrantMethod | undefined;
    const expiries: number[] = [];
    /** A generated initial password not changed yet (ADR 0010). */
    let changeRequired = false;
    if (req.certificateFingerprint) {
      const cert = await this.certificates.findActive(req.username, req.certificateFingerprint);
      if (cert) {
        userId = cert.userId;
        grantTypes = cert.grantTypes;
        proven.push('certificate');
        expiries.push(cert.notAfter.getTime());
        changeRequired = await this.users.isPasswordChangeRequired(cert.userId);
      } else if (!req.password) {
        await this.throttle.recordFailure(req.username, req.remoteAddress, false);
        return { outcome: 'bad-credentials' };
      }
    }
    // With a certificate, a password is checked only when the user requires a second factor (ADR 0011).
    if (password && (!userId || requiresSecondFactor(grantTypes))) {
      const token = TokenService.looksLikeToken(password)
        ? await this.mqttToken(req.username, password)
        : null;
      if (token && (!userId || token.userId === userId)) {
        userId = token.userId;
        grantTypes = token.row.grant_types;
        tokenId = token.tokenId;
        tokenKind = token.kind;
        proven.push('token');
        expiries.push(new Date(token.row.expires_at).getTime());
        changeRequired = token.row.password_change_required;
      } else {
        let verified: PasswordCheck;
        try {
          // the same checks, in the same order, as the login's Passport strategies (ADR 0026)
          verified = await this.credentials.password(req.username, password);
        } catch (err) {
          // SPEC 2.1a: a directory outage is CONNACK 3 (the gateway's cache answers first when it can)
          if (err instanceof IdentityError && err.code === 'IDENTITY.DIRECTORY_UNAVAILABLE')
            return { outcome: 'unavailable', reason: err.message };
          if (err instanceof IdentityError && err.code === 'IDENTITY.FEDERATED_NAME_CLASH') {
            await this.throttle.recordFailure(req.username, req.remoteAddress, true);
            return { outcome: 'not-authorized', reason: err.message };
          }
          throw err;
        }
        const { user, exists } = verified;
        if (!user || (userId && user.id !== userId)) {
          if (!userId && !exists && (await this.recordRegistrationAttempt(req, password)))
            return { outcome: 'pending-registration' };
          await this.throttle.recordFailure(req.username, req.remoteAddress, exists);
          return { outcome: 'bad-credentials' };
        }
        userId = user.id;
        grantTypes = user.grantTypes;
        changeRequired = user.passwordChangeRequired;
        proven.push('password');
      }
    }
    if (!userId) return { outcome: 'bad-credentials' };
    // ADR 0020: the password alone of an MFA user opens no MQTT session (a token from an MFA login does);
    // counted as a failure, as a wrong password is, so the counters tell a guesser nothing
    const mfa = await this.mfa.mqttRules(userId);
    if (mfa.passwordRefused && proven.includes('password')) {
      await this.throttle.recordFailure(req.username, req.remoteAddress, true);
      return { outcome: 'bad-credentials' };
    }
    if (mfa.enrollmentRequired)
      return { outcome: 'not-authorized', reason: 'MFA enrolment is required first' };
    // ADR 0010: until its generated initial password is changed, the account has no MQTT access
    // (CONNACK 5), as it has no HTTP access beyond /api/me
    if (changeRequired)
      return { outcome: 'not-authorized', reason: 'the initial password must be changed first' };
    const principal = await this.principals.principal(userId);
    if (!principal) return { outcome: 'bad-credentials' };
    if (!principal.enabled) return { outcome: 'not-authorized', reason: 'user disabled' };
    const grants = admitGrants(grantTypes, proven);
    if (!grants.ok) return { outcome: 'not-authorized', ...(grants.reason ? { reason: grants.reason } : {}) };
    await this.throttle.recordSuccess(req.username, req.remoteAddress);
    const method: GrantMethod = grants.methods.includes('token')
      ? 'token'
      : grants.methods.includes('password')
        ? 'password'
        : 'certificate';
    return {
      outcome: 'ok',
      principal,
      method,
      methods: grants.methods,
      ...(tokenKind && tokenKind !== 'token' ? { dependsOn: [tokenKind] } : {}),
      ...(tokenId ? { tokenId } : {}),
      ...(grants.methods.includes('certificate')
        ? { certificateFingerprint: req.certificateFingerprint?.toLowerCase() }
        : {}),
      ...(expiries.length > 0 ? { expiresAt: Math.min(...expiries) } : {}),
    };
  }

  /** A usable token of `username` presented as the MQTT password, or null (then it is tried as a password). */
  private async mqttToken(username: string, token: string): Promise<VerifiedUsableToken | null> {
    try {
      const t = await this.usableToken(token);
      return t.row.username === username ? t : null;
    } catch {
      return null;
    }
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
}

/** The user requires a factor besides the certificate (ADR 0011: certificate and password, or token). */
function requiresSecondFactor(grants: readonly GrantType[]): boolean {
  return grants.some((g) => g.isRequired && g.method !== 'certificate');
}
