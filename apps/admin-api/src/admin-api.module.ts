import { type DynamicModule, Module } from '@nestjs/common';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuditModule } from '@gatehouse/audit';
import { ClientRegistryModule } from '@gatehouse/client-registry';
import {
  BearerStrategy,
  IdentityModule,
  LdapStrategy,
  LocalStrategy,
  OidcStrategy,
} from '@gatehouse/identity';
import { PersistenceModule } from '@gatehouse/persistence';
import { ADMIN_API_CONFIG, type AdminApiConfig } from './config/admin-api.config';
import { AuditMessagesController } from './features/audit/audit-messages.controller';
import { AuditRecorder } from './features/audit/audit-recorder.service';
import { AuditController } from './features/audit/audit.controller';
import { AuthController } from './features/auth/auth.controller';
import { CertificatesAppService } from './features/certificates/certificates.app-service';
import { CertificatesController } from './features/certificates/certificates.controller';
import { ClientRegistryAppService } from './features/client-registry/client-registry.app-service';
import { ClientRegistryController } from './features/client-registry/client-registry.controller';
import { RegistryMessagesController } from './features/client-registry/registry-messages.controller';
import { HealthController } from './features/health/health.controller';
import { MfaController } from './features/mfa/mfa.controller';
import { AdminMetrics } from './features/metrics/admin-metrics.service';
import { MetricsController } from './features/metrics/metrics.controller';
import { PermissionsAppService } from './features/permissions/permissions.app-service';
import { PermissionsController } from './features/permissions/permissions.controller';
import { PolicyBootstrap } from './features/policy/policy-bootstrap.service';
import { PolicyDocumentValidator } from './features/policy/policy-document.validator';
import { PolicyEscalation } from './features/policy/policy-escalation.service';
import { PolicyAppService } from './features/policy/policy.app-service';
import { PolicyController } from './features/policy/policy.controller';
import { RolesAppService } from './features/roles/roles.app-service';
import { RolesController } from './features/roles/roles.controller';
import { RoleHistoryController } from './features/roles/role-history.controller';
import { ChangePreviewAppService } from './features/sessions/change-preview.app-service';
import { SessionsAppService } from './features/sessions/sessions.app-service';
import { SessionsController } from './features/sessions/sessions.controller';
import { EscalationService } from './features/shared/escalation.service';
import { SsoAppService } from './features/sso/sso.app-service';
import { SsoController } from './features/sso/sso.controller';
import { OidcStepUpPolicy } from './features/sso/step-up.policy';
import { UsersAppService } from './features/users/users.app-service';
import { UsersController } from './features/users/users.controller';
import { AccessGuard } from './http/access.guard';
import { AuditInterceptor } from './http/audit.interceptor';
import { AuditStampGuard } from './http/audit-stamp.guard';
import { EscalationGuard } from './http/escalation.guard';
import { PermissionsCache } from './http/permissions-cache.service';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { AdminTransportModule } from './transport/admin-transport.module';

/** The retention prune of the audit trail runs at start and then this often. */
const PRUNE_INTERVAL_MS = 6 * 3600_000;

@Module({})
export class AdminApiModule {
  static forRoot(config: AdminApiConfig): DynamicModule {
    const configProvider = { provide: ADMIN_API_CONFIG, useValue: config };
    return {
      module: AdminApiModule,
      imports: [
        PersistenceModule.forRootAsync({ useFactory: () => config.database }),
        IdentityModule.forRootAsync({
          useFactory: () => config.identity,
          imports: [AdminTransportModule.forRoot(config.transportUrl, config.gatewayQueryTimeoutMs)],
        }),
        ClientRegistryModule.forRoot(config.clientRegistry),
        AuditModule.forRoot({
          // SPEC 6 `instanceId`: which admin-api process recorded the event
          instanceId: `admin-api@${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
          retentionDays: config.audit.retentionDays,
          pruneIntervalMs: PRUNE_INTERVAL_MS,
        }),
      ],
      controllers: [
        AuthController,
        SsoController,
        UsersController,
        RolesController,
        RoleHistoryController,
        PermissionsController,
        HealthController,
        MetricsController,
        ClientRegistryController,
        CertificatesController,
        RegistryMessagesController,
        MfaController,
        AuditController,
        AuditMessagesController,
        SessionsController,
        PolicyController,
      ],
      providers: [
        configProvider,
        PermissionsCache,
        EscalationService,
        UsersAppService,
        RolesAppService,
        PermissionsAppService,
        ClientRegistryAppService,
        CertificatesAppService,
        SessionsAppService,
        ChangePreviewAppService,
        PolicyAppService,
        PolicyDocumentValidator,
        PolicyEscalation,
        PolicyBootstrap,
        SsoAppService,
        OidcStepUpPolicy,
        AuditRecorder,
        AdminMetrics,
        // The Passport strategies (ADR 0026): the bearer token for every non-public route, local then
        // LDAP for POST /api/login, OIDC for its callback. No PassportModule and no sessions: the guards
        // pass their options.
        BearerStrategy,
        LocalStrategy,
        LdapStrategy,
        OidcStrategy,
        // In this order: mark an audited request (ADR 0016), authenticate and authorize the route, then
        // what it hands out (ADR 0014).
        { provide: APP_GUARD, useClass: AuditStampGuard },
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_GUARD, useClass: EscalationGuard },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
