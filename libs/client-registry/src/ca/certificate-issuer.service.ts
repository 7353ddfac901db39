import { Injectable } from '@nestjs/common';
import { CertificateService } from '@gatehouse/identity';
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
    private readonly certificates: CertificateService,
    private readonly ca: CertificateAuthority,
  ) {}

  /** @param user - the user the certificate is for, as the caller loaded it (CN = its username) */
  async issueForUser(user: { id: string; username: string }, csrPem: string): Promise<IssuedForUser> {
    const csr = await parseAndVerifyCsr(csrPem, user.username);
    const issued = await this.ca.issue(csr, user.username);
    await this.certificates.recordNow(user.id, issued);
    return { ...issued, caCertificatePem: this.ca.certificatePem };
  }
}
