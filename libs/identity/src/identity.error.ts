/** Stable codes of identity errors; admin-api maps them to problem+json, the gateway to CONNACK codes. */
export type IdentityErrorCode =
  | 'IDENTITY.USER_EXISTS'
  | 'IDENTITY.ROLE_EXISTS'
  | 'IDENTITY.USER_NOT_FOUND'
  | 'IDENTITY.ROLE_NOT_FOUND'
  | 'IDENTITY.TOKEN_NOT_FOUND'
  | 'IDENTITY.VERSION_CONFLICT'
  | 'IDENTITY.PRECONDITION_FAILED'
  | 'IDENTITY.BUILT_IN_ROLE'
  | 'IDENTITY.INVALID_CREDENTIALS'
  | 'IDENTITY.INVALID_CURRENT_PASSWORD'
  | 'IDENTITY.RATE_LIMITED'
  | 'IDENTITY.INVALID_TOKEN'
  | 'IDENTITY.WEAK_PASSWORD'
  | 'IDENTITY.TOKEN_LIFETIME_TOO_LONG'
  | 'IDENTITY.UNKNOWN_ROLE'
  | 'IDENTITY.INVALID_CURSOR'
  | 'IDENTITY.LAST_ADMIN'
  // policy as code (issue 13, ADR 0028)
  | 'IDENTITY.POLICY_INVALID'
  | 'IDENTITY.POLICY_REMOVES_CALLER'
  | 'IDENTITY.CERTIFICATE_NOT_FOUND'
  | 'IDENTITY.GRANT_REQUIRED'
  // role history (ADR 0021)
  | 'IDENTITY.ROLE_VERSION_NOT_FOUND'
  | 'IDENTITY.ROLLBACK_NO_CHANGE'
  // LDAP (SPEC 2.1a, ADR 0024)
  | 'IDENTITY.DIRECTORY_UNAVAILABLE'
  | 'IDENTITY.FEDERATED_NAME_CLASH'
  | 'IDENTITY.FEDERATED_USER'
  // no credential presented (the bearer strategy, ADR 0026)
  | 'AUTH.UNAUTHENTICATED'
  // OpenID Connect and the refresh of federated sessions (SPEC 2.1a, ADR 0023)
  | 'IDENTITY.OIDC_DISABLED'
  | 'IDENTITY.OIDC_STATE_INVALID'
  | 'IDENTITY.OIDC_LOGIN_EXPIRED'
  | 'IDENTITY.OIDC_ID_TOKEN_INVALID'
  | 'IDENTITY.OIDC_CLAIM_INVALID'
  | 'IDENTITY.PROVIDER_REFUSED'
  | 'IDENTITY.PROVIDER_UNAVAILABLE'
  | 'IDENTITY.USER_DISABLED'
  | 'IDENTITY.REFRESH_NOT_SUPPORTED'
  | 'AUTH.OIDC_STEP_UP_REQUIRED'
  // MFA (SPEC 2.1, ADR 0020)
  | 'AUTH.MFA_REQUIRED'
  | 'AUTH.MFA_INVALID_CODE'
  | 'AUTH.MFA_CODE_REJECTED'
  | 'AUTH.MFA_CODE_MISSING'
  | 'AUTH.MFA_BANNED'
  | 'AUTH.MFA_ENROLLMENT_REQUIRED'
  | 'AUTH.MFA_DISABLED'
  | 'AUTH.MFA_ALREADY_ENABLED'
  | 'AUTH.MFA_NOT_PENDING'
  | 'AUTH.MFA_NOT_ENABLED'
  | 'AUTH.MFA_KEY_MISMATCH'
  | 'AUTH.MFA_SELF_RESET';

/** Whom a refused login is about, for the audit trail (a federated user, by the provider's name for it). */
export interface RefusedSubject {
  /** `oidc-user`, `ldap-user`. */
  type: string;
  name: string | null;
}

/** An error raised by the identity lib, with a stable code. Never carries a secret. */
export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    /** Seconds until a rate-limited caller may retry. */
    readonly retryAfterSeconds?: number,
    /** Whom a refused federated login is about (recorded as the audit event's target). */
    readonly subject?: RefusedSubject,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}
