import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { inTransaction } from '@gatehouse/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { type GrantType, UserCertificateEntity, UserEntity } from '../entities';
import { IdentityError } from '../identity.error';
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
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly principals: PrincipalService,
  ) {}

  /**
   * Inside the caller's transaction: registers the certificate on the user and makes sure the user
   * holds the `certificate` grant type (a certificate without it could never log in).
   */
  async record(m: EntityManager, userId: string, cert: CertificateRecord): Promise<void> {
    await m.getRepository(UserCertificateEntity).insert({ userId, ...cert, revokedAt: null });
    const user = await m.getRepository(UserEntity).findOne({ where: { id: userId } });
    if (!user) throw new IdentityError('IDENTITY.USER_NOT_FOUND', `user ${userId} not found`);
    if (!user.grantTypes.some((g) => g.method === 'certificate')) {
      await m.query(
        `UPDATE users SET grant_types = $2::jsonb, version = version + 1, updated_at = now() WHERE id = $1`,
        [userId, JSON.stringify([...user.grantTypes, { method: 'certificate', isRequired: false }])],
      );
    }
  }

  /** Records a certificate in its own transaction. */
  async recordNow(userId: string, cert: CertificateRecord): Promise<void> {
    await inTransaction(this.dataSource, (m) => this.record(m, userId, cert));
  }

  /**
   * Revokes one certificate of the user; every gateway then disconnects the sessions that logged in
   * with it and refuses it at the next CONNECT.
   */
  async revoke(userId: string, fingerprint: string): Promise<void> {
    const fp = fingerprint.toLowerCase().replace(/:/g, '');
    const repo = this.dataSource.getRepository(UserCertificateEntity);
    const existing = FINGERPRINT.test(fp) ? await repo.findOne({ where: { userId, fingerprint: fp } }) : null;
    if (!existing)
      throw new IdentityError(
        'IDENTITY.CERTIFICATE_NOT_FOUND',
        `certificate ${fingerprint} not found on user ${userId}`,
      );
    if (existing.revokedAt) return;
    await repo.update({ id: existing.id }, { revokedAt: new Date() });
    await this.principals.notify([userId], 'certificate-revoked', { certificateFingerprint: fp });
  }

  /** The user a certificate logs in, when it is registered under `username`, not revoked and valid now. */
  async findActive(username: string, fingerprint: string): Promise<ActiveCertificate | null> {
    const fp = fingerprint.toLowerCase();
    if (!FINGERPRINT.test(fp)) return null;
    const rows: { user_id: string; grant_types: GrantType[]; not_after: Date }[] =
      await this.dataSource.query(
        `SELECT u.id AS user_id, u.grant_types, c.not_after
         FROM user_certificates c JOIN users u ON u.id = c.user_id
        WHERE c.fingerprint = $1 AND u.username = $2 AND c.revoked_at IS NULL
          AND c.not_before <= now() AND c.not_after > now()`,
        [fp, username],
      );
    const row = rows[0];
    if (!row) return null;
    return {
      userId: row.user_id,
      hasCertificateGrant: row.grant_types.some((g) => g.method === 'certificate'),
      grantTypes: row.grant_types,
      notAfter: new Date(row.not_after),
    };
  }
}
