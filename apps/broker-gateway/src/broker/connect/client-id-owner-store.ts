import { Redis } from 'ioredis';

/** What a claim found: the id was free (`new`), already this user's (`renewed`), or another user's. */
export type ClaimResult = { claimed: 'new' | 'renewed' } | { ownedBy: string };

/**
 * Where the client-id → user records live (ADR 0103): in memory for one gateway, in Redis beside the
 * aedes persistence when gateways share `REDIS_URL`. Each record carries the claiming connection's
 * token, so that a connection releases only its own claim (a takeover by the same user replaces it).
 */
export interface ClientIdOwnerStore {
  /** Records `userId` as the owner of `clientId` unless another user owns it; atomic. */
  claim(clientId: string, userId: string, token: string): Promise<ClaimResult>;
  /** Deletes the record if it still holds `token` (compare and delete). */
  release(clientId: string, token: string): Promise<void>;
  close(): Promise<void>;
}

export class MemoryClientIdOwnerStore implements ClientIdOwnerStore {
  private readonly owners = new Map<string, { userId: string; token: string }>();

  claim(clientId: string, userId: string, token: string): Promise<ClaimResult> {
    const current = this.owners.get(clientId);
    if (current && current.userId !== userId) return Promise.resolve({ ownedBy: current.userId });
    this.owners.set(clientId, { userId, token });
    return Promise.resolve({ claimed: current ? 'renewed' : 'new' });
  }

  release(clientId: string, token: string): Promise<void> {
    if (this.owners.get(clientId)?.token === token) this.owners.delete(clientId);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  get size(): number {
    return this.owners.size;
  }
}

// KEYS[1] record; ARGV[1] user id; ARGV[2] token. Returns the other owner's record, or 'new'/'renewed'.
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v then
  local owner = string.match(v, '^(%S+)')
  if owner ~= ARGV[1] then return 'owned ' .. owner end
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2])
if v then return 'renewed' end
return 'new'
`;
const RELEASE = `
local v = redis.call('GET', KEYS[1])
if v and string.match(v, '%S+$') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** The records in Redis under `gatehouse:client-owner:<client id>` (no expiry: they live as long as the session). */
export class RedisClientIdOwnerStore implements ClientIdOwnerStore {
  static readonly PREFIX = 'gatehouse:client-owner:';
  private readonly redis: Redis;

  constructor(url: string) {
    // A CONNECT must not wait for a Redis that is down: fail fast, the hook answers CONNACK 3.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
    this.redis.on('error', () => undefined); // reported per command; ioredis reconnects by itself
  }

  async claim(clientId: string, userId: string, token: string): Promise<ClaimResult> {
    const answer = (await this.redis.eval(
      CLAIM,
      1,
      RedisClientIdOwnerStore.PREFIX + clientId,
      userId,
      token,
    )) as string;
    if (answer === 'new' || answer === 'renewed') return { claimed: answer };
    return { ownedBy: answer.slice('owned '.length) };
  }

  async release(clientId: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, RedisClientIdOwnerStore.PREFIX + clientId, token);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
