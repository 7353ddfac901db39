import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { managerOf, type Transaction } from '@gatehouse/persistence';
import type { DataSource } from 'typeorm';
import { type GrantType, UserCertificateEntity } from '../entities';

/** A certificate that may log in now, with its user's grant types. */
export interface ActiveCertificateRow {
  userId: string;
  grantTypes: GrantType[];
  notAfter: Date;
}

/** The `user_certificates` table: client certificates registered on users (public facts only). */
@Injectable()
export class CertificateRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(
    userId: string,
    cert: { fingerprint: string; serial: string; notBefore: Date; notAfter: Date },
    tx?: Transaction,
  ): Promise<void> {
    await managerOf(this.dataSource, tx)
      .getRepository(UserCertificateEntity)
      .insert({ userId, ...cert, revokedAt: null });
  }

  /** The user's certificate with this fingerprint (lower-case hex), revoked or not. */
  findOfUser(userId: string, fingerprint: string): Promise<UserCertificateEntity | null> {
    return this.dataSource.getRepository(UserCertificateEntity).findOne({ where: { userId, fingerprint } });
  }

  async markRevoked(id: string): Promise<void> {
    await this.dataSource.getRepository(UserCertificateEntity).update({ id }, { revokedAt: new Date() });
  }

  /**
   * The certificate with this fingerprint registered on the user named exactly `username`, when it is
   * not revoked and valid now; null otherwise.
   */
  async findActive(username: string, fingerprint: string): Promise<ActiveCertificateRow | null> {
    const rows: { user_id: string; grant_types: GrantType[]; not_after: Date }[] =
      await this.dataSource.query(
        `SELECT u.id AS user_id, u.grant_types, c.not_after
         FROM user_certificates c JOIN users u ON u.id = c.user_id
        WHERE c.fingerprint = $1 AND u.username = $2 AND c.revoked_at IS NULL
          AND c.not_before <= now() AND c.not_after > now()`,
        [fingerprint, username],
      );
    const row = rows[0];
    return row
      ? { userId: row.user_id, grantTypes: row.grant_types, notAfter: new Date(row.not_after) }
      : null;
  }
}
