import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ClientRegistryError } from '../client-registry.error';
import { DEFAULT_UNLOCK_MS, MAX_UNLOCK_MS } from '../client-registry.options';

export interface RegistryStateView {
  state: 'locked' | 'unlocked';
  /** When an unlocked registry locks again; null while locked. */
  unlockedUntil: Date | null;
}

/** Locked (default) or unlocked until a time (SPEC 4); kept in the database, so it survives a restart. */
@Injectable()
export class RegistryStateService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async get(): Promise<RegistryStateView> {
    const rows: { unlocked_until: Date | null }[] = await this.dataSource.query(
      `SELECT unlocked_until FROM client_registry_state WHERE id = 1`,
    );
    const until = rows[0]?.unlocked_until ?? null;
    return until && until.getTime() > Date.now()
      ? { state: 'unlocked', unlockedUntil: until }
      : { state: 'locked', unlockedUntil: null };
  }

  async isUnlocked(): Promise<boolean> {
    return (await this.get()).state === 'unlocked';
  }

  async unlock(durationMs: number = DEFAULT_UNLOCK_MS): Promise<RegistryStateView> {
    if (!Number.isInteger(durationMs) || durationMs < 1000 || durationMs > MAX_UNLOCK_MS) {
      throw new ClientRegistryError(
        'REGISTRY.INVALID_REQUEST',
        `durationMs must be an integer 1000..${MAX_UNLOCK_MS}`,
      );
    }
    await this.dataSource.query(
      `UPDATE client_registry_state SET unlocked_until = now() + ($1::text || ' milliseconds')::interval, updated_at = now() WHERE id = 1`,
      [String(durationMs)],
    );
    return this.get();
  }

  async lock(): Promise<RegistryStateView> {
    await this.dataSource.query(
      `UPDATE client_registry_state SET unlocked_until = NULL, updated_at = now() WHERE id = 1`,
    );
    return this.get();
  }
}
