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
  /** Log-in against an LDAP directory (SPEC 2.1a, 7, ADR 0024); absent: off. */
  ldap?: LdapOptions;
  /** Single sign-on with an OpenID Connect provider (SPEC 2.1a, 7, ADR 0023); absent: off. */
  oidc?: OidcOptions;
}

/** OIDC_* (SPEC 7, ADR 0023): the provider, Gatehouse's client there and how its claims are read. */
export interface OidcOptions {
  /** OIDC_ISSUER: the issuer identifier (discovery at `<issuer>/.well-known/openid-configuration`). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** OIDC_REDIRECT_URI: registered at the provider; it must reach `GET /api/auth/oidc/callback`. */
  redirectUri: string;
  /** OIDC_SCOPES (default `openid profile`); always holds `openid`. */
  scopes: string[];
  /** OIDC_ROLE_CLAIM (default `groups`): the claim whose values meet the roles' `externalGroups`. */
  roleClaim: string;
  /** OIDC_USERNAME_CLAIM (default `preferred_username`): the Gatehouse username on first sight. */
  usernameClaim: string;
  /** OIDC_USERNAME_CLASH: what a provider user whose name a Gatehouse user holds gets (as LDAP's). */
  usernameClash: LdapUsernameClash;
  /**
   * OIDC_ADMIN_ACR: for a user who holds admin-level permissions (ADR 0023), the ID token's `acr` must
   * be one of these (ASVS 6.8.4); empty: not required.
   */
  adminAcr: string[];
  /** OIDC_ADMIN_AMR: for such a user, the ID token's `amr` must contain every one of these; empty: not required. */
  adminAmr: string[];
  /** OIDC_TIMEOUT_MS: each request to the provider (discovery, JWKS, token, userinfo). */
  timeoutMs: number;
  /** OIDC_LOGIN_TTL_SECONDS (default 600): how long a started login may take at the provider. */
  loginTtlSeconds: number;
  /** Plain http to the provider: only for an issuer on a loopback address (tests, a local provider). */
  allowInsecureHttp: boolean;
}

/** What a directory user whose name a Gatehouse user already holds gets (ADR 0024). */
export type LdapUsernameClash = 'refuse' | 'suffix';

/** LDAP_* (SPEC 7): the directory, the service account and where users and groups are. */
export interface LdapOptions {
  /** `ldap://host[:port]` or `ldaps://host[:port]` (LDAPS). */
  url: string;
  /** StartTLS on an `ldap://` URL before anything is sent (LDAP_STARTTLS). */
  startTls: boolean;
  /** PEM CA bundle that signs the directory's certificate (LDAP_TLS_CA_FILE), read at start. */
  tlsCa?: string;
  bindDn: string;
  bindPassword: string;
  userBase: string;
  /** A search filter with `{{username}}` (RFC 4515-escaped when substituted), e.g. `(uid={{username}})`. */
  userFilter: string;
  /** The attribute whose value becomes the Gatehouse username (LDAP_USERNAME_ATTRIBUTE, default `uid`). */
  usernameAttribute: string;
  /** Where groups are searched by `member`/`uniqueMember`; absent: only the user's `memberOf`. */
  groupBase?: string;
  /** Names this directory in the users' binding (LDAP_DIRECTORY_ID, default `ldap`). */
  directoryId: string;
  usernameClash: LdapUsernameClash;
  /** Per LDAP operation and per TCP connect (LDAP_TIMEOUT_MS). */
  timeoutMs: number;
  /** Connections kept open to the directory (LDAP_POOL_SIZE). */
  poolSize: number;
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
