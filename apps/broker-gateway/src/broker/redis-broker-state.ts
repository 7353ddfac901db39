import { Redis } from 'ioredis';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import mqemitterRedis from 'mqemitter-redis';

/** Where a Redis URL points, without its credentials (for log lines). */
export function redactRedisUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
}

/**
 * aedes persistence and message bus in Redis (ADR 0101): every gateway given the same `REDIS_URL` shares
 * sessions, subscriptions, retained messages and offline queues, and a message published on one gateway
 * reaches the subscribers of all of them (each gateway still authorizes its own deliveries). Three
 * connections: one for the persistence, a publisher and a subscriber for the bus.
 */
export function redisBrokerState(url: string): { persistence: unknown; mq: unknown } {
  const connect = (): Redis => new Redis(url);
  return {
    persistence: aedesPersistenceRedis({ conn: connect() }),
    mq: mqemitterRedis({ pubConn: connect(), subConn: connect() }),
  };
}
