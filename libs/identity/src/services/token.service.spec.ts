import { generateKeyPair } from 'jose';
import type { TokenRepository } from '../repositories/token.repository';
import type { IdentityOptions } from '../identity.options';
import type { SigningKeyService } from './signing-key.service';
import { TokenService } from './token.service';

type Keys = Awaited<ReturnType<typeof generateKeyPair>> & { kid: string };

describe('TokenService.verifySignature', () => {
  let keys: { current: Keys };
  let tokens: TokenService;

  beforeEach(async () => {
    keys = { current: { kid: 'k1', ...(await generateKeyPair('ES256')) } };
    // issue() only inserts the token row; revocation is checked by the caller, not here
    const repository = { insert: () => Promise.resolve() } as unknown as TokenRepository;
    tokens = new TokenService(
      repository,
      keys as unknown as SigningKeyService,
      {
        sessionTokenHours: 1,
        tokenMaxHours: 8760,
        loginTokenMaxHours: 12,
        tokenIssuer: 'gatehouse-test',
      } as IdentityOptions,
    );
  });

  afterEach(() => jest.useRealTimers());

  it('verifies a token once and answers later checks of the same token from memory', async () => {
    const { token, tokenId } = await tokens.issue('user-1', {});
    await expect(tokens.verifySignature(token)).resolves.toEqual({ userId: 'user-1', tokenId });
    // a new key pair would refuse the token if its signature were checked again
    keys.current = { kid: 'k2', ...(await generateKeyPair('ES256')) };
    await expect(tokens.verifySignature(token)).resolves.toEqual({ userId: 'user-1', tokenId });
  });

  it('does not answer a token with another signature from memory', async () => {
    const { token } = await tokens.issue('user-1', {});
    await tokens.verifySignature(token);
    // change the first character of the signature (the last one may only carry padding bits)
    const cut = token.lastIndexOf('.') + 1;
    const other = token[cut] === 'A' ? 'B' : 'A';
    const altered = token.slice(0, cut) + other + token.slice(cut + 1);
    await expect(tokens.verifySignature(altered)).rejects.toMatchObject({ code: 'IDENTITY.INVALID_TOKEN' });
  });

  it('refuses a remembered token once it has expired', async () => {
    jest.useFakeTimers({ now: Date.now(), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const { token } = await tokens.issue('user-1', { expireTimeInHours: 1 / 360 }); // 10 s
    await expect(tokens.verifySignature(token)).resolves.toMatchObject({ userId: 'user-1' });
    jest.setSystemTime(Date.now() + 11_000);
    await expect(tokens.verifySignature(token)).rejects.toMatchObject({ code: 'IDENTITY.INVALID_TOKEN' });
  });
});
