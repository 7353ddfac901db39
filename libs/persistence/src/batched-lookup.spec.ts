import { BatchedLookup } from './batched-lookup';

describe('BatchedLookup', () => {
  const squares = () => {
    const calls: number[][] = [];
    const lookup = new BatchedLookup<number, number>(async (keys) => {
      calls.push(keys);
      return new Map(keys.filter((k) => k >= 0).map((k) => [k, k * k]));
    }, 3);
    return { calls, lookup };
  };

  it('answers the look-ups of one turn with one query, each with its own value', async () => {
    const { calls, lookup } = squares();
    const answers = await Promise.all([lookup.load(2), lookup.load(-1), lookup.load(2)]);
    expect(answers).toEqual([4, undefined, 4]);
    expect(calls).toEqual([[2, -1]]); // duplicates queried once
  });

  it('sends a full batch at once and the rest at the end of the turn', async () => {
    const { calls, lookup } = squares();
    const answers = await Promise.all([1, 2, 3, 4].map((k) => lookup.load(k)));
    expect(answers).toEqual([1, 4, 9, 16]);
    expect(calls).toEqual([[1, 2, 3], [4]]);
  });

  it('queries again for a later turn (nothing is cached)', async () => {
    const { calls, lookup } = squares();
    await lookup.load(5);
    await lookup.load(5);
    expect(calls).toEqual([[5], [5]]);
  });

  it('rejects every look-up of a batch whose query fails, and recovers for the next', async () => {
    let fail = true;
    const lookup = new BatchedLookup<string, string>(async (keys) => {
      if (fail) throw new Error('database down');
      return new Map(keys.map((k) => [k, k.toUpperCase()]));
    });
    const failed = await Promise.allSettled([lookup.load('a'), lookup.load('b')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(lookup.load('c')).resolves.toBe('C');
  });
});
