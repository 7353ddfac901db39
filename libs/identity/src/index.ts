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
export { AuthService, type AuthSession, type LoginInput } from './services/auth.service';
export { PasswordPolicyService, MAX_PASSWORD_LENGTH } from './services/password-policy.service';
export { PasswordHasher, ARGON2_PARAMS } from './services/password-hasher.service';
export { PrincipalService } from './services/principal.service';
export { RoleService } from './services/role.service';
export { TokenService, type TokenView, type IssuedToken } from './services/token.service';
export { UserService, type CreateUserOptions } from './services/user.service';
export {
  CertificateService,
  type CertificateRecord,
  type ActiveCertificate,
} from './services/certificate.service';
export { LoginThrottle } from './services/login-throttle.service';
export { decodeCursor, encodeCursor } from './paging';
