import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** The one row of `client_registry_state`: until when the registry is unlocked (null: locked). */
@Injectable()
export class RegistryStateRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** When the registry was last set to lock again (possibly in the past); null when locked explicitly. */
  async findUnlockedUntil(): Promise<Date | null> {
    const rows: { unlocked_until: Date | null }[] = await this.dataSource.query(
      `SELECT unlocked_until FROM client_registry_state WHERE id = 1`,
    );
    return rows[0]?.unlocked_until ?? null;
  }

  /** Unlocks until `durationMs` from now, by the database's clock. */
  async unlockFor(durationMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE client_registry_state SET unlocked_until = now() + ($1::text || ' milliseconds')::interval, updated_at = now() WHERE id = 1`,
      [String(durationMs)],
    );
  }

  async lock(): Promise<void> {
    await this.dataSource.query(
      `UPDATE client_registry_state SET unlocked_until = NULL, updated_at = now() WHERE id = 1`,
    );
  }
}
