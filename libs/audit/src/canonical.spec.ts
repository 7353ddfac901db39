import { canonicalEvent, canonicalJson, eventHash, GENESIS_HASH, type HashedFields } from './canonical';

const event = (over: Partial<HashedFields> = {}): HashedFields => ({
  id: '00000000-0000-4000-8000-000000000001',
  seq: 1,
  at: new Date('2025-01-01T00:00:00.123Z'),
  actor: { id: null, username: 'admin' },
  action: 'user.create',
  target: { type: 'user', id: 'u1', name: 'alice' },
  result: 'success',
  sourceAddress: '127.0.0.1',
  instanceId: 'i1',
  changes: { enabled: { before: null, after: true } },
  count: null,
  topic: null,
  ...over,
});

describe('canonical event serialization (ADR 0016)', () => {
  it('sorts keys at every depth, whatever the insertion order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('leaves undefined members out, keeps null, refuses non-finite numbers', () => {
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow();
  });

  it('escapes strings as JSON does (a newline or quote cannot forge a field)', () => {
    expect(canonicalJson({ a: 'x","b":"y\n' })).toBe('{"a":"x\\",\\"b\\":\\"y\\n"}');
  });

  it('is the same for the same event read back from storage in another key order', () => {
    const e = event();
    const reordered = JSON.parse(
      JSON.stringify({ ...e, changes: { enabled: { after: true, before: null } } }),
    ) as HashedFields;
    reordered.at = new Date(reordered.at);
    expect(canonicalEvent(reordered)).toBe(canonicalEvent(e));
  });

  it('hash = SHA-256(canonical ‖ prevHash): any field or the previous hash changes it', () => {
    const h = eventHash(event(), GENESIS_HASH);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(eventHash(event(), GENESIS_HASH)).toBe(h);
    expect(eventHash(event({ result: 'failure' }), GENESIS_HASH)).not.toBe(h);
    expect(eventHash(event({ at: new Date('2025-01-01T00:00:00.124Z') }), GENESIS_HASH)).not.toBe(h);
    expect(eventHash(event({ count: 2 }), GENESIS_HASH)).not.toBe(h);
    expect(eventHash(event(), 'f'.repeat(64))).not.toBe(h);
  });
});
