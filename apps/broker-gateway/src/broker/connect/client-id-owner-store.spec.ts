import { MemoryClientIdOwnerStore } from './client-id-owner-store';

describe('MemoryClientIdOwnerStore (ADR 0103)', () => {
  it('gives an id to its first user, refuses others, renews for the owner', async () => {
    const store = new MemoryClientIdOwnerStore();
    expect(await store.claim('c1', 'alice', 't1')).toEqual({ claimed: 'new' });
    expect(await store.claim('c1', 'bob', 't2')).toEqual({ ownedBy: 'alice' });
    expect(await store.claim('c1', 'alice', 't3')).toEqual({ claimed: 'renewed' });
  });

  it("releases only the claim that holds the caller's token (an old connection does not free a takeover's id)", async () => {
    const store = new MemoryClientIdOwnerStore();
    await store.claim('c1', 'alice', 'old');
    await store.claim('c1', 'alice', 'new');
    await store.release('c1', 'old');
    expect(await store.claim('c1', 'bob', 'b')).toEqual({ ownedBy: 'alice' });
    await store.release('c1', 'new');
    expect(store.size).toBe(0);
    expect(await store.claim('c1', 'bob', 'b')).toEqual({ claimed: 'new' });
  });
});
