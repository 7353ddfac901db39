export * from './client-registry.error';
export * from './client-registry.options';
export * from './client-registry.module';
export { REGISTRATION_STATES, type RegistrationSource, type RegistrationState } from './entities';
export { CertificateAuthority, type IssuedCertificate } from './ca/certificate-authority.service';
export { CertificateIssuer, type IssuedForUser } from './ca/certificate-issuer.service';
export { parseAndVerifyCsr, type VerifiedCsr } from './ca/csr';
export { ApprovalService, type GrantInput, type GrantResult } from './registry/approval.service';
export { pairingId } from './registry/pairing-id';
export { RegisterRateLimiter } from './registry/register-rate-limiter';
export {
  RegistrationService,
  USERNAME_PATTERN,
  type RegisterInput,
  type RegisterOutcome,
} from './registry/registration.service';
export { RegistryStateService, type RegistryStateView } from './registry/registry-state.service';
export type { RegistrationRequestView } from './registry/registration-view';
