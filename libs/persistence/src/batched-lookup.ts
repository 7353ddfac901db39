/**
 * Coalesces look-ups by key that arrive in the same turn of the event loop into one query (the
 * DataLoader pattern), so that N concurrent requests cost one database round trip instead of N.
 *
 * Freshness is unchanged: a key's query is sent after the key was asked for (at the end of the current
 * turn, or at once when {@link maxBatch} keys are waiting), so it sees every change committed before
 * the caller asked. Nothing is cached: each call to {@link load} is answered by a query of its own
 * batch. Duplicate keys in a batch are queried once and get the same value: treat values as read-only.
 */
export class BatchedLookup<K, V> {
  private pending: { key: K; resolve: (value: V | undefined) => void; reject: (err: unknown) => void }[] = [];
  private scheduled = false;

  /**
   * @param fetch - answers every key it knows (keys it does not return resolve to `undefined`); must not
   *   throw for a key it cannot find
   * @param maxBatch - keys per query at most
   */
  constructor(
    private readonly fetch: (keys: K[]) => Promise<Map<K, V>>,
    private readonly maxBatch = 200,
  ) {}

  load(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      this.pending.push({ key, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const keys = [...new Set(batch.map((b) => b.key))];
    this.fetch(keys).then(
      (found) => {
        for (const b of batch) b.resolve(found.get(b.key));
      },
      (err: unknown) => {
        for (const b of batch) b.reject(err);
      },
    );
  }
}

/** A uuid in PostgreSQL's canonical text form (lower-case hex, hyphens): safe to cast in a batch. */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Whether `value` is a uuid as PostgreSQL prints it, so that `ANY($1::uuid[])` cannot fail on it and a
 * returned row's id equals it.
 */
export function isCanonicalUuid(value: string): boolean {
  return CANONICAL_UUID.test(value);
}
