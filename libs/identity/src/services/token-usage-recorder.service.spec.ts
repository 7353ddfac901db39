import type { TokenRepository } from '../repositories/token.repository';
import { TOKEN_USE_RESOLUTION_MS, TokenUsageRecorder } from './token-usage-recorder.service';

describe('TokenUsageRecorder', () => {
  let writes: string[][];
  let recorder: TokenUsageRecorder;

  beforeEach(() => {
    writes = [];
    // the batching is under test here; what the UPDATE does is token.repository.e2e-spec.ts's
    const tokens = {
      touchLastUsed: (ids: string[], resolutionSeconds: number) => {
        expect(resolutionSeconds).toBe(TOKEN_USE_RESOLUTION_MS / 1000);
        writes.push(ids);
        return Promise.resolve();
      },
    } as unknown as TokenRepository;
    recorder = new TokenUsageRecorder(tokens);
  });
  afterEach(() => recorder.flush());

  it('writes a token at most once per minute, however often it is used (no write per request)', async () => {
    const t0 = Date.now();
    for (let i = 0; i < 1000; i++) recorder.used('t1', t0 + i);
    await recorder.flush();
    expect(writes).toEqual([['t1']]);
    recorder.used('t1', t0 + TOKEN_USE_RESOLUTION_MS - 1);
    await recorder.flush();
    expect(writes).toHaveLength(1);
    recorder.used('t1', t0 + TOKEN_USE_RESOLUTION_MS);
    await recorder.flush();
    expect(writes).toEqual([['t1'], ['t1']]);
  });

  it('writes the uses of many tokens in one statement', async () => {
    for (const id of ['a', 'b', 'c', 'a', 'b']) recorder.used(id);
    await recorder.flush();
    expect(writes).toEqual([['a', 'b', 'c']]);
    await recorder.flush();
    expect(writes).toHaveLength(1); // nothing pending: no statement
  });

  it('stays bounded with many distinct tokens', async () => {
    const t0 = Date.now();
    for (let i = 0; i < 25_000; i++) recorder.used(`t${i}`, t0);
    expect((recorder as unknown as { lastQueued: Map<string, number> }).lastQueued.size).toBeLessThanOrEqual(
      10_000,
    );
    await recorder.flush();
    expect(writes.flat()).toHaveLength(25_000);
  });
});
