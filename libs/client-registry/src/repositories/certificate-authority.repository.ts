import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CertificateAuthorityEntity } from '../entities/certificate-authority.entity';

/** The `certificate_authorities` table: the generated CA, its key encrypted (never selected by default). */
@Injectable()
export class CertificateAuthorityRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The CA stored under `id`, with its encrypted key; null when none is stored. */
  findWithKey(id: string): Promise<CertificateAuthorityEntity | null> {
    return this.dataSource.getRepository(CertificateAuthorityEntity).findOne({
      where: { id },
      select: { id: true, certificatePem: true, encryptedKeyPem: true },
    });
  }

  /** Stores the CA unless one with its id exists (another instance won the race: nothing changes). */
  async insertIfAbsent(
    ca: Pick<CertificateAuthorityEntity, 'id' | 'certificatePem' | 'encryptedKeyPem'>,
  ): Promise<void> {
    await this.dataSource
      .getRepository(CertificateAuthorityEntity)
      .createQueryBuilder()
      .insert()
      .values(ca)
      .orIgnore()
      .execute();
  }
}
