// aedes-persistence-redis ships no types. Its default export builds an aedes persistence (async and
// callback interface); `conn` is an existing ioredis connection.
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';
  export default function aedesPersistenceRedis(opts: { conn: Redis }): unknown;
}
