import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ClientRegistryModule } from '@gatehouse/client-registry';
import { IdentityModule } from '@gatehouse/identity';
import { PersistenceModule } from '@gatehouse/persistence';
import { ADMIN_API_CONFIG, type AdminApiConfig } from './config/admin-api.config';
import { AuthController } from './features/auth/auth.controller';
import { CertificatesAppService } from './features/certificates/certificates.app-service';
import { CertificatesController } from './features/certificates/certificates.controller';
import { ClientRegistryAppService } from './features/client-registry/client-registry.app-service';
import { ClientRegistryController } from './features/client-registry/client-registry.controller';
import { RegistryMessagesController } from './features/client-registry/registry-messages.controller';
import { HealthController } from './features/health/health.controller';
import { MfaController } from './features/mfa/mfa.controller';
import { PermissionsAppService } from './features/permissions/permissions.app-service';
import { PermissionsController } from './features/permissions/permissions.controller';
import { RolesAppService } from './features/roles/roles.app-service';
import { RolesController } from './features/roles/roles.controller';
import { EscalationService } from './features/shared/escalation.service';
import { UsersAppService } from './features/users/users.app-service';
import { UsersController } from './features/users/users.controller';
import { AccessGuard } from './http/access.guard';
import { EscalationGuard } from './http/escalation.guard';
import { PermissionsCache } from './http/permissions-cache.service';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { AdminTransportModule } from './transport/admin-transport.module';

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
          imports: [AdminTransportModule.forRoot(config.transportUrl)],
        }),
        ClientRegistryModule.forRoot(config.clientRegistry),
      ],
      controllers: [
        AuthController,
        UsersController,
        RolesController,
        PermissionsController,
        HealthController,
        ClientRegistryController,
        CertificatesController,
        RegistryMessagesController,
        MfaController,
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
        // In this order: authenticate and authorize the route, then what it hands out (ADR 0014).
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_GUARD, useClass: EscalationGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
