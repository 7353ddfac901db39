import { Injectable } from '@nestjs/common';
import { CertificateIssuer, type IssuedForUser } from '@gatehouse/client-registry';
import { type AuthSession, CertificateService, UserService } from '@gatehouse/identity';

/**
 * SPEC 2.3 certificate routes. Issuing a certificate hands out a credential of the user, and revoking
 * one cuts it off, so (like a password change or a token revocation, ADR 0004) the caller must hold
 * every effective permission of that user: the routes declare it (`@HandsOut`).
 */
@Injectable()
export class CertificatesAppService {
  constructor(
    private readonly users: UserService,
    private readonly certificates: CertificateService,
    private readonly issuer: CertificateIssuer,
  ) {}

  async issue(session: AuthSession, userId: string, csr: string): Promise<IssuedForUser> {
    const user = await this.users.get(userId);
    return this.issuer.issueForUser(user, csr);
  }

  async revoke(session: AuthSession, userId: string, fingerprint: string): Promise<void> {
    await this.users.get(userId);
    await this.certificates.revoke(userId, fingerprint);
  }
}
