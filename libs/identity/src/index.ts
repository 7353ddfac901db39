export * from './identity.error';
export * from './identity.options';
export * from './identity.types';
export * from './identity.module';
export { GrantType } from './entities';
export {
  AdminBootstrapService,
  ADMIN_ROLE_ID,
  MINIMUM_ACCESS_ROLE_ID,
} from './services/admin-bootstrap.service';
export { AuthService, type AuthSession } from './services/auth.service';
export { LoginService, type LoginInput, type VerifiedLogin } from './services/login.service';
export {
  CredentialChecks,
  type LocalPasswordCheck,
  type PasswordCheck,
} from './services/credential-checks.service';
export * from './passport';
export {
  PasswordPolicyService,
  type PasswordContext,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  PRODUCT_NAME,
  isCommonPassword,
} from './services/password-policy.service';
export { PasswordHasher, ARGON2_PARAMS } from './services/password-hasher.service';
export { PermissionService } from './services/permission.service';
export { PrincipalService } from './services/principal.service';
export { PolicyService, type PolicyApplyOptions, type PolicyApplyOutcome } from './services/policy.service';
export { isEmptyPlan, planPolicy } from './services/policy-plan';
export type {
  AffectedUser,
  ChangedRole,
  ChangedUser,
  PolicyInput,
  PolicyPlan,
  PolicyRoleInput,
  PolicyUserInput,
} from './services/policy-plan';
export type { PolicyRoleRow, PolicyUserRow } from './repositories/policy.repository';
export { RoleService, versionConflict } from './services/role.service';
export { RoleHistoryService } from './services/role-history.service';
export { TokenService, type TokenView, type IssuedToken } from './services/token.service';
export { TokenUsageRecorder, TOKEN_USE_RESOLUTION_MS } from './services/token-usage-recorder.service';
export { UserService, type CreateUserOptions } from './services/user.service';
export {
  CertificateService,
  type CertificateRecord,
  type ActiveCertificate,
} from './services/certificate.service';
export { LoginThrottle } from './services/login-throttle.service';
export { InitialPasswordFile, INITIAL_ADMIN_PASSWORD_FILE } from './services/initial-password-file.service';
export { decodeCursor, encodeCursor } from './paging';
export {
  MfaService,
  BACKUP_CODE_COUNT,
  type MfaActor,
  type MfaCodes,
  type MfaEnrolment,
  type MfaStatus,
} from './services/mfa.service';
export { MFA_BAN_SECONDS, MFA_MAX_WRONG_CODES } from './services/mfa-ban.service';
export { MfaCipher, MfaSealError } from './services/mfa-cipher';
export { MFA_KEY_FILE, parseMfaKey, resolveMfaKey } from './services/mfa-key';
export { FederatedPrincipalService } from './services/federated-principal.service';
export {
  OidcLoginService,
  type OidcLoginResult,
  type OidcLoginStart,
  claimValue,
  groupsOf,
} from './services/oidc-login.service';
export { SessionRefreshService, type RefreshedSession } from './services/session-refresh.service';
