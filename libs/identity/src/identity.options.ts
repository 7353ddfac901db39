import type {
  LoginLimitOptions,
  PrincipalChangedEventDto,
  RateLimitStoreOptions,
} from '@gatehouse/contracts';

/** Connectware's PASSWORD_POLICY shape: minimum length and minimum counts of character classes. */
export interface PasswordPolicyOptions {
  min: number;
  lower?: number;
  upper?: number;
  numeric?: number;
  symbol?: number;
}

export interface IdentityOptions {
  passwordPolicy: PasswordPolicyOptions;
  adminUsername: string;
  /** When absent and no user exists yet, a random password is generated and logged once. */
  adminPassword?: string;
  /** Lifetime of a login token without `expireTimeInHours` (at most `loginTokenMaxHours`). */
  sessionTokenHours: number;
  /** Longest lifetime of a labelled (long-lived) token, in hours (TOKEN_MAX_HOURS, ADR 0009). */
  tokenMaxHours: number;
  /** Longest lifetime of a login token without a label, in hours (LOGIN_TOKEN_MAX_HOURS, ADR 0009). */
  loginTokenMaxHours: number;
  /**
   * DATA_DIR: where a generated initial admin password is kept (`initial-admin-password`, 0600) until
   * it is changed (ADR 0010). `memory://` or absent: no file.
   */
  dataDir?: string;
  /** Failed-login limits (SPEC 2.1, ADR 0003). */
  loginLimits: LoginLimitOptions;
  /** Where their counters live: Redis (`REDIS_URL`, shared with the gateways) or memory. */
  rateLimitStore: RateLimitStoreOptions;
  /** Issuer claim of the JWTs. */
  tokenIssuer: string;
  /** TOTP MFA (SPEC 2.1, ADR 0020). */
  mfa: MfaOptions;
}

export interface MfaOptions {
  /** `MFA_ENABLED` (default true). Off: no enrolment, and logins, tokens and MQTT ignore MFA. */
  enabled: boolean;
  /**
   * `MFA_ENCRYPTION_KEY` (32 bytes); absent: a key generated once into `DATA_DIR/mfa-encryption-key`
   * (0600), or a per-process one with an in-memory DATA_DIR.
   */
  encryptionKey?: Buffer;
}

export const IDENTITY_OPTIONS = Symbol('IDENTITY_OPTIONS');

/** Where the identity lib reports principal changes (admin-api sends them to every gateway). */
export interface PrincipalChangeSink {
  publish(events: PrincipalChangedEventDto[]): void;
}
export const PRINCIPAL_CHANGE_SINK = Symbol('PRINCIPAL_CHANGE_SINK');

/** An MQTT CONNECT of a username that does not exist (SPEC 4, MQTT flow). */
export interface RegistrationAttempt {
  username: string;
  password: string;
  clientId: string;
  remoteAddress?: string;
}

/**
 * Port to the client registry (implemented outside identity, so identity does not depend on it):
 * records an unknown user's CONNECT as a pending registration request while the registry is unlocked.
 * Answers true when a pending request for these credentials exists now (CONNACK 5), false when nothing
 * was recorded (locked, other credentials pending, limits): the CONNECT is then bad credentials.
 */
export interface RegistrationAttemptSink {
  recordMqttAttempt(attempt: RegistrationAttempt): Promise<boolean>;
}
export const REGISTRATION_ATTEMPT_SINK = Symbol('REGISTRATION_ATTEMPT_SINK');
