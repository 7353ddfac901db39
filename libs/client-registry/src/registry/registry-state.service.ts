import { Injectable } from '@nestjs/common';
import { ClientRegistryError } from '../client-registry.error';
import { DEFAULT_UNLOCK_MS, MAX_UNLOCK_MS } from '../client-registry.options';
import { RegistryStateRepository } from '../repositories/registry-state.repository';

export interface RegistryStateView {
  state: 'locked' | 'unlocked';
  /** When an unlocked registry locks again; null while locked. */
  unlockedUntil: Date | null;
}

/** Locked (default) or unlocked until a time (SPEC 4); kept in the database, so it survives a restart. */
@Injectable()
export class RegistryStateService {
  constructor(private readonly repository: RegistryStateRepository) {}

  async get(): Promise<RegistryStateView> {
    const until = await this.repository.findUnlockedUntil();
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
    await this.repository.unlockFor(durationMs);
    return this.get();
  }

  async lock(): Promise<RegistryStateView> {
    await this.repository.lock();
    return this.get();
  }
}
