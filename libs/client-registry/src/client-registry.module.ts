import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { REGISTRATION_ATTEMPT_SINK } from '@gatehouse/identity';
import { CertificateAuthority } from './ca/certificate-authority.service';
import { CertificateIssuer } from './ca/certificate-issuer.service';
import { CLIENT_REGISTRY_OPTIONS, type ClientRegistryOptions } from './client-registry.options';
import { clientRegistryEntities } from './entities';
import { ApprovalService } from './registry/approval.service';
import { RegisterRateLimiter } from './registry/register-rate-limiter';
import { RegistrationService } from './registry/registration.service';
import { RegistryStateService } from './registry/registry-state.service';
import { CertificateAuthorityRepository } from './repositories/certificate-authority.repository';
import { RegistrationRequestRepository } from './repositories/registration-request.repository';
import { RegistryStateRepository } from './repositories/registry-state.repository';

/** All SQL of the lib (ADR 0017); not exported: other modules use the services. */
const repositories = [CertificateAuthorityRepository, RegistrationRequestRepository, RegistryStateRepository];

const services = [
  CertificateAuthority,
  CertificateIssuer,
  ApprovalService,
  RegisterRateLimiter,
  RegistrationService,
  RegistryStateService,
];

/**
 * Registration requests, approval, the Gatehouse CA and CSR signing (SPEC 4). Needs the
 * PersistenceModule and the (global) IdentityModule. Global, so that the identity lib's AuthService
 * finds the REGISTRATION_ATTEMPT_SINK (the MQTT flow) without importing this lib.
 */
@Module({})
export class ClientRegistryModule {
  static forRoot(options: ClientRegistryOptions): DynamicModule {
    return {
      module: ClientRegistryModule,
      global: true,
      imports: [TypeOrmModule.forFeature(clientRegistryEntities)],
      providers: [
        { provide: CLIENT_REGISTRY_OPTIONS, useValue: options },
        ...repositories,
        ...services,
        { provide: REGISTRATION_ATTEMPT_SINK, useExisting: RegistrationService },
      ],
      exports: [CLIENT_REGISTRY_OPTIONS, REGISTRATION_ATTEMPT_SINK, ...services],
    };
  }
}
