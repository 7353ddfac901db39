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

/** An error raised by the identity lib, with a stable code. Never carries a secret. */
export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    /** Seconds until a rate-limited caller may retry. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}
