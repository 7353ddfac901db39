import { Injectable } from '@nestjs/common';
import { CertificateService, UserService } from '@gatehouse/identity';
import { CertificateAuthority, type IssuedCertificate } from './certificate-authority.service';
import { parseAndVerifyCsr } from './csr';

export interface IssuedForUser extends IssuedCertificate {
  caCertificatePem: string;
}

/**
 * `POST /api/users/{id}/certificates` (SPEC 2.3): signs a CSR whose CN is the user's name and registers
 * the certificate on the user (who then holds the `certificate` grant type). The key stays on the device.
 */
@Injectable()
export class CertificateIssuer {
  constructor(
    private readonly users: UserService,
    private readonly certificates: CertificateService,
    private readonly ca: CertificateAuthority,
  ) {}

  async issueForUser(userId: string, csrPem: string): Promise<IssuedForUser> {
    const user = await this.users.get(userId);
    const csr = await parseAndVerifyCsr(csrPem, user.username);
    const issued = await this.ca.issue(csr, user.username);
    await this.certificates.recordNow(user.id, issued);
    return { ...issued, caCertificatePem: this.ca.certificatePem };
  }
}
