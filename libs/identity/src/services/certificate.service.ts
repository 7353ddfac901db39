import { Injectable } from '@nestjs/common';
import { type Transaction, Transactions } from '@gatehouse/persistence';
import type { GrantType } from '../entities';
import { IdentityError } from '../identity.error';
import { CertificateRepository } from '../repositories/certificate.repository';
import { UserRepository } from '../repositories/user.repository';
import { PrincipalService } from './principal.service';

/** The public facts of an issued certificate, as recorded on the user. */
export interface CertificateRecord {
  fingerprint: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

/** A certificate that may log in: registered, not revoked, inside its validity. */
export interface ActiveCertificate {
  userId: string;
  hasCertificateGrant: boolean;
  /** The user's grant types (ADR 0011: a required second factor is checked by the caller). */
  grantTypes: GrantType[];
  notAfter: Date;
}

const FINGERPRINT = /^[0-9a-f]{64}$/;

/**
 * Client certificates registered on users (SPEC 1.3, 3): recording an issued certificate, revoking
 * one (the gateways end the sessions that used it), and the CONNECT-time lookup.
 */
@Injectable()
export class CertificateService {
  constructor(
    private readonly transactions: Transactions,
    private readonly repository: CertificateRepository,
    private readonly users: UserRepository,
    private readonly principals: PrincipalService,
  ) {}

  /**
   * Inside the caller's transaction: registers the certificate on the user and makes sure the user
   * holds the `certificate` grant type (a certificate without it could never log in).
   */
  async record(tx: Transaction, userId: string, cert: CertificateRecord): Promise<void> {
    await this.repository.insert(userId, cert, tx);
    const grantTypes = await this.users.findGrantTypes(userId, tx);
    if (!grantTypes) throw new IdentityError('IDENTITY.USER_NOT_FOUND', `user ${userId} not found`);
    if (!grantTypes.some((g) => g.method === 'certificate'))
      await this.users.setGrantTypes(
        userId,
        [...grantTypes, { method: 'certificate', isRequired: false }],
        tx,
      );
  }

  /** Records a certificate in its own transaction. */
  async recordNow(userId: string, cert: CertificateRecord): Promise<void> {
    await this.transactions.run((tx) => this.record(tx, userId, cert));
  }

  /**
   * Revokes one certificate of the user; every gateway then disconnects the sessions that logged in
   * with it and refuses it at the next CONNECT.
   */
  async revoke(userId: string, fingerprint: string): Promise<void> {
    const fp = fingerprint.toLowerCase().replace(/:/g, '');
    const existing = FINGERPRINT.test(fp) ? await this.repository.findOfUser(userId, fp) : null;
    if (!existing)
      throw new IdentityError(
        'IDENTITY.CERTIFICATE_NOT_FOUND',
        `certificate ${fingerprint} not found on user ${userId}`,
      );
    if (existing.revokedAt) return;
    await this.repository.markRevoked(existing.id);
    await this.principals.notify([userId], 'certificate-revoked', { certificateFingerprint: fp });
  }

  /** The user a certificate logs in, when it is registered under `username`, not revoked and valid now. */
  async findActive(username: string, fingerprint: string): Promise<ActiveCertificate | null> {
    const fp = fingerprint.toLowerCase();
    if (!FINGERPRINT.test(fp)) return null;
    const row = await this.repository.findActive(username, fp);
    if (!row) return null;
    return { ...row, hasCertificateGrant: row.grantTypes.some((g) => g.method === 'certificate') };
  }
}
