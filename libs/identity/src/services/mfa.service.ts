import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { IdentityError } from '../identity.error';
import { IDENTITY_OPTIONS, type IdentityOptions } from '../identity.options';
import { MfaRepository, type MfaRow } from '../repositories/mfa.repository';
import { LoginThrottle } from './login-throttle.service';
import { MfaBan, MFA_MAX_WRONG_CODES } from './mfa-ban.service';
import { MfaCipher, MfaSealError } from './mfa-cipher';
import { resolveMfaKey } from './mfa-key';
import { PrincipalService } from './principal.service';
import { base32Of, newTotpSecret, provisioningUri, totpStep } from './totp';

/** A second factor as sent: a TOTP code, or one of the backup codes. */
export interface MfaCodes {
  otp?: string;
  backupCode?: string;
}

/** What `POST /api/me/mfa` shows once: the secret for the authenticator app. */
export interface MfaEnrolment {
  secret: string;
  otpauthUri: string;
}

export interface MfaStatus {
  enabled: boolean;
  pending: boolean;
  backupCodesRemaining: number;
}

/** The session that changes its own MFA: its token survives, the user's other tokens are revoked. */
export interface MfaActor {
  userId: string;
  tokenId: string;
}

/** SPEC 2.1: 10 single-use backup codes. */
export const BACKUP_CODE_COUNT = 10;
/** 32 letters and digits without 0 o 1 l: 5 bits a character, 16 characters = 80 bits (ADR 0020). */
const BACKUP_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** Ten fresh backup codes from the CSPRNG, shown as `xxxx-xxxx-xxxx-xxxx` (ASVS 6.5.3, 6.5.4). */
export function newBackupCodes(): string[] {
  return Array.from({ length: BACKUP_CODE_COUNT }, () => {
    const chars = [...randomBytes(16)].map((b) => BACKUP_ALPHABET[b & 31]).join('');
    return chars.match(/.{4}/g)!.join('-');
  });
}

type WrongCode = 'AUTH.MFA_INVALID_CODE' | 'AUTH.MFA_CODE_REJECTED';

/**
 * TOTP MFA (SPEC 2.1, ADR 0020): enrolment, confirmation, disabling, backup codes, the administrator's
 * reset, the second step of a login and what MQTT and the token check must know. Codes are checked
 * under the ban (5 wrong codes → 5 minutes), a TOTP step is accepted once, a backup code once.
 */
@Injectable()
export class MfaService implements OnModuleInit {
  private readonly logger = new Logger('Mfa');
  private cipherValue: MfaCipher | undefined;

  constructor(
    @Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions,
    private readonly repo: MfaRepository,
    private readonly ban: MfaBan,
    private readonly throttle: LoginThrottle,
    private readonly principals: PrincipalService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.cipherValue = new MfaCipher(
      await resolveMfaKey(this.options.mfa.encryptionKey, this.options.dataDir),
    );
  }

  /** `MFA_ENABLED`. */
  get enabled(): boolean {
    return this.options.mfa.enabled;
  }

  /**
   * The second step of `POST /api/login`, after the password was verified. An enrolled user needs a
   * right code (401 `AUTH.MFA_REQUIRED` without one); a wrong one also counts as a failed login
   * (ADR 0003). Answers whether the token to be issued is restricted to the enrolment routes
   * (`enforceMFAEnrollment` and not enrolled); such a user gets no long-lived token.
   */
  async checkLogin(
    user: { id: string; username: string },
    input: MfaCodes & { label?: string; ip?: string },
  ): Promise<{ enrollmentRequired: boolean }> {
    if (!this.enabled) return { enrollmentRequired: false };
    const state = await this.repo.state(user.id);
    if (!state.enrolled) {
      if (state.enforced && input.label !== undefined)
        throw new IdentityError(
          'AUTH.MFA_ENROLLMENT_REQUIRED',
          'MFA enrolment is required before a long-lived token: log in without a label and enrol (POST /api/me/mfa)',
        );
      return { enrollmentRequired: state.enforced };
    }
    if (input.otp === undefined && input.backupCode === undefined)
      throw new IdentityError('AUTH.MFA_REQUIRED', 'this user has MFA: send "otp" (or a "backupCode")');
    const row = await this.confirmedRow(user.id);
    await this.attempt(user.id, input, row, 'AUTH.MFA_INVALID_CODE', () =>
      this.throttle.recordFailure(user.username, input.ip, true),
    );
    return { enrollmentRequired: false };
  }

  /**
   * What an MQTT CONNECT must respect (ADR 0020): an enrolled user's password alone is not enough
   * (use a token issued by an MFA login), and an enforced user without enrolment has no MQTT access.
   */
  async mqttRules(userId: string): Promise<{ passwordRefused: boolean; enrollmentRequired: boolean }> {
    if (!this.enabled) return { passwordRefused: false, enrollmentRequired: false };
    const state = await this.repo.state(userId);
    return { passwordRefused: state.enrolled, enrollmentRequired: state.enforced && !state.enrolled };
  }

  async status(userId: string): Promise<MfaStatus> {
    this.assertEnabled();
    const row = await this.repo.find(userId);
    const enabled = !!row?.confirmedAt;
    return {
      enabled,
      pending: !!row && !row.confirmedAt,
      backupCodesRemaining: enabled ? await this.repo.unusedBackupCodes(userId) : 0,
    };
  }

  /** `POST /api/me/mfa`: a new secret, pending until confirmed (a pending one is replaced). */
  async start(userId: string, username: string): Promise<MfaEnrolment> {
    this.assertEnabled();
    const secret = newTotpSecret();
    if (!(await this.repo.startPending(userId, this.cipher.seal(secret, userId))))
      throw new IdentityError('AUTH.MFA_ALREADY_ENABLED', 'MFA is already enabled: disable it first');
    return { secret: base32Of(secret), otpauthUri: provisioningUri(secret, username) };
  }

  /**
   * `POST /api/me/mfa/confirm {otp}`: MFA becomes active with 10 backup codes (shown once, stored
   * hashed). The user's other tokens are revoked and its MQTT sessions on a password or token end
   * (ASVS 7.4.3): they were obtained without the second factor.
   */
  async confirm(actor: MfaActor, otp: string): Promise<string[]> {
    this.assertEnabled();
    const row = await this.repo.find(actor.userId);
    if (!row || row.confirmedAt)
      throw new IdentityError(
        'AUTH.MFA_NOT_PENDING',
        'no MFA enrolment is pending: start one (POST /api/me/mfa)',
      );
    await this.attempt(actor.userId, { otp }, row, 'AUTH.MFA_CODE_REJECTED');
    const codes = newBackupCodes();
    if (!(await this.repo.confirm(actor.userId, this.hashes(actor.userId, codes), actor.tokenId)))
      throw new IdentityError('AUTH.MFA_NOT_PENDING', 'the enrolment was confirmed or removed meanwhile');
    await this.principals.notify([actor.userId], 'credentials-changed');
    return codes;
  }

  /** `DELETE /api/me/mfa {otp | backupCode}`: MFA off; the other tokens are revoked as on confirm. */
  async disable(actor: MfaActor, codes: MfaCodes): Promise<void> {
    this.assertEnabled();
    const row = await this.confirmedRow(actor.userId);
    await this.attempt(actor.userId, requireCode(codes), row, 'AUTH.MFA_CODE_REJECTED');
    if (await this.repo.remove(actor.userId, actor.tokenId))
      await this.principals.notify([actor.userId], 'credentials-changed');
  }

  /** `POST /api/me/mfa/backup-codes {otp | backupCode}`: 10 new codes replace the old ones. */
  async regenerateBackupCodes(actor: MfaActor, codes: MfaCodes): Promise<string[]> {
    this.assertEnabled();
    const row = await this.confirmedRow(actor.userId);
    await this.attempt(actor.userId, requireCode(codes), row, 'AUTH.MFA_CODE_REJECTED');
    const fresh = newBackupCodes();
    await this.repo.replaceBackupCodes(actor.userId, this.hashes(actor.userId, fresh));
    return fresh;
  }

  /**
   * `DELETE /api/users/{id}/mfa` (an administrator, ASVS 6.4.4): the enrolment is removed and every
   * token of the user revoked, so the next login is by password and enrolment starts again. Works with
   * `MFA_ENABLED=false` too (clean-up); a user without MFA is left as it is.
   */
  async reset(actorId: string, userId: string): Promise<void> {
    // one's own MFA goes off only with a code (DELETE /api/me/mfa), as one's own password needs the
    // current one (ADR 0009): a stolen session alone must not remove the second factor
    if (actorId === userId)
      throw new IdentityError('AUTH.MFA_SELF_RESET', 'turn your own MFA off with DELETE /api/me/mfa {otp}');
    if (await this.repo.remove(userId)) await this.principals.notify([userId], 'credentials-changed');
  }

  private get cipher(): MfaCipher {
    if (!this.cipherValue) throw new Error('MfaService used before its key was loaded');
    return this.cipherValue;
  }

  private assertEnabled(): void {
    if (!this.enabled)
      throw new IdentityError('AUTH.MFA_DISABLED', 'MFA is turned off on this server (MFA_ENABLED)');
  }

  private async confirmedRow(userId: string): Promise<MfaRow> {
    const row = await this.repo.find(userId);
    if (!row?.confirmedAt)
      throw new IdentityError('AUTH.MFA_NOT_ENABLED', 'MFA is not enabled for this user');
    return row;
  }

  private hashes(userId: string, codes: string[]): Buffer[] {
    return codes.map((c) => this.cipher.hashBackupCode(c, userId));
  }

  /** Checks a code under the ban; throws the ban (429), or `wrongCode`, unless it is right and unused. */
  private async attempt(
    userId: string,
    codes: MfaCodes,
    row: MfaRow,
    wrongCode: WrongCode,
    onWrong?: () => Promise<void>,
  ): Promise<void> {
    const banned = await this.ban.retryAfter(userId);
    if (banned > 0) throw banError(banned);
    if (await this.matches(userId, codes, row)) {
      await this.ban.clear(userId);
      return;
    }
    await onWrong?.();
    const ban = await this.ban.recordWrongCode(userId);
    if (ban > 0) {
      this.logger.warn(`MFA of user ${userId} refused for ${ban} s after ${MFA_MAX_WRONG_CODES} wrong codes`);
      throw banError(ban);
    }
    throw new IdentityError(wrongCode, 'wrong or already used code');
  }

  private async matches(userId: string, codes: MfaCodes, row: MfaRow): Promise<boolean> {
    if (codes.otp !== undefined) {
      const step = totpStep(this.openSecret(userId, row), codes.otp);
      return step !== null && (await this.repo.useStep(userId, step));
    }
    if (codes.backupCode !== undefined && row.confirmedAt)
      return this.repo.useBackupCode(userId, this.cipher.hashBackupCode(codes.backupCode, userId));
    return false;
  }

  private openSecret(userId: string, row: MfaRow): Uint8Array {
    try {
      return this.cipher.open(row.sealedSecret, userId);
    } catch (err) {
      if (!(err instanceof MfaSealError)) throw err;
      this.logger.error(
        `the TOTP secret of user ${userId} does not decrypt: is MFA_ENCRYPTION_KEY the one it was sealed with?`,
      );
      throw new IdentityError(
        'AUTH.MFA_KEY_MISMATCH',
        "the MFA secret cannot be read with the configured MFA_ENCRYPTION_KEY; an administrator can reset this user's MFA",
      );
    }
  }
}

function requireCode(codes: MfaCodes): MfaCodes {
  if (codes.otp === undefined && codes.backupCode === undefined)
    throw new IdentityError('AUTH.MFA_CODE_MISSING', 'send "otp" or "backupCode"');
  return codes;
}

function banError(seconds: number): IdentityError {
  return new IdentityError(
    'AUTH.MFA_BANNED',
    `too many wrong codes: MFA logins of this user are refused for ${seconds} s`,
    seconds,
  );
}
