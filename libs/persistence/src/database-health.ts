import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { readQuery } from './transaction';

/** How long a health ping may take before the database counts as down. */
const PING_TIMEOUT_MS = 2_000;

/**
 * The database's health for `/health/ready`: a real round trip on the same path as the hot reads
 * (`readQuery`, a named prepared statement on the driver's pool), so that a broken connection or
 * session shows here, not only on the next request. Features use this instead of the DataSource.
 */
@Injectable()
export class DatabaseHealth {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Resolves when the database answers a query within the timeout; rejects otherwise. */
  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('database ping timed out')), PING_TIMEOUT_MS);
    });
    try {
      const rows = await Promise.race([
        readQuery<{ ok: number }>(this.dataSource, 'SELECT 1 AS ok'),
        timeout,
      ]);
      if (rows[0]?.ok !== 1) throw new Error('database ping: unexpected answer');
    } finally {
      clearTimeout(timer);
    }
  }
}
