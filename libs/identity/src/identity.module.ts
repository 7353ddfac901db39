import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { identityEntities } from './entities';
import { IDENTITY_OPTIONS, type IdentityOptions } from './identity.options';
import { CertificateRepository } from './repositories/certificate.repository';
import { LdapDirectoryRepository } from './repositories/ldap-directory.repository';
import { OidcProviderRepository } from './repositories/oidc-provider.repository';
import { OidcSessionRepository } from './repositories/oidc-session.repository';
import { PermissionRepository } from './repositories/permission.repository';
import { PolicyRepository } from './repositories/policy.repository';
import { RoleRepository } from './repositories/role.repository';
import { RoleVersionRepository } from './repositories/role-version.repository';
import { SigningKeyRepository } from './repositories/signing-key.repository';
import { TokenRepository } from './repositories/token.repository';
import { UserRepository } from './repositories/user.repository';
import { AdminBootstrapService } from './services/admin-bootstrap.service';
import { AuthService } from './services/auth.service';
import { CertificateService } from './services/certificate.service';
import { CredentialChecks } from './services/credential-checks.service';
import { FederatedPrincipalService } from './services/federated-principal.service';
import { InitialPasswordFile } from './services/initial-password-file.service';
import { LdapLoginService } from './services/ldap-login.service';
import { LoginService } from './services/login.service';
import { LoginThrottle } from './services/login-throttle.service';
import { OidcLoginService } from './services/oidc-login.service';
import { SessionRefreshService } from './services/session-refresh.service';
import { MfaBan } from './services/mfa-ban.service';
import { MfaService } from './services/mfa.service';
import { MfaRepository } from './repositories/mfa.repository';
import { PasswordHasher } from './services/password-hasher.service';
import { PasswordPolicyService } from './services/password-policy.service';
import { PermissionService } from './services/permission.service';
import { PolicyService } from './services/policy.service';
import { PrincipalService } from './services/principal.service';
import { RoleHistoryService } from './services/role-history.service';
import { RoleService } from './services/role.service';
import { SigningKeyService } from './services/signing-key.service';
import { TokenService } from './services/token.service';
import { TokenUsageRecorder } from './services/token-usage-recorder.service';
import { UserService } from './services/user.service';

/** All SQL of the lib (ADR 0017); not exported: other modules use the services. */
const repositories = [
  CertificateRepository,
  LdapDirectoryRepository,
  OidcProviderRepository,
  OidcSessionRepository,
  PermissionRepository,
  PolicyRepository,
  RoleRepository,
  RoleVersionRepository,
  SigningKeyRepository,
  TokenRepository,
  UserRepository,
];

const services = [
  AdminBootstrapService,
  AuthService,
  CertificateService,
  CredentialChecks,
  FederatedPrincipalService,
  InitialPasswordFile,
  LdapLoginService,
  LoginService,
  LoginThrottle,
  MfaBan,
  MfaRepository,
  MfaService,
  OidcLoginService,
  PasswordHasher,
  PasswordPolicyService,
  PermissionService,
  PolicyService,
  PrincipalService,
  RoleHistoryService,
  RoleService,
  SessionRefreshService,
  SigningKeyService,
  TokenService,
  TokenUsageRecorder,
  UserService,
];

export interface IdentityModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: unknown[];
  useFactory: (...args: never[]) => IdentityOptions | Promise<IdentityOptions>;
  /** Providers the module needs from the app, e.g. the PRINCIPAL_CHANGE_SINK. */
  extraProviders?: Provider[];
}

/** Users, credentials, tokens, roles and permissions. Needs the PersistenceModule. */
@Module({})
export class IdentityModule {
  static forRootAsync(opts: IdentityModuleAsyncOptions): DynamicModule {
    return {
      module: IdentityModule,
      global: true,
      imports: [TypeOrmModule.forFeature(identityEntities), ...(opts.imports ?? [])],
      providers: [
        { provide: IDENTITY_OPTIONS, inject: opts.inject as never[], useFactory: opts.useFactory },
        ...repositories,
        ...services,
        ...(opts.extraProviders ?? []),
      ],
      exports: [IDENTITY_OPTIONS, ...services],
    };
  }
}
