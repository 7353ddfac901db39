import { CertificateAuthorityEntity } from './certificate-authority.entity';
import { RegistrationRequestEntity } from './registration-request.entity';

export { CertificateAuthorityEntity, RegistrationRequestEntity };
export * from './registration-request.entity';
export const clientRegistryEntities = [CertificateAuthorityEntity, RegistrationRequestEntity];
