import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { type CaCertificatesDto, RegistryPatterns } from '@gatehouse/contracts';
import { CertificateAuthority } from '@gatehouse/client-registry';

/** Transport requests from the gateways about the registry (SPEC 5): the CA that issues client certificates. */
@Controller()
export class RegistryMessagesController {
  constructor(private readonly ca: CertificateAuthority) {}

  @MessagePattern(RegistryPatterns.CA_CERTIFICATES)
  caCertificates(): CaCertificatesDto {
    return { certificates: [this.ca.certificatePem] };
  }
}
