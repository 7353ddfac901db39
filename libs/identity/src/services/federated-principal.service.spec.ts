import type { PrincipalDto } from '@gatehouse/contracts';
import type { IdentityOptions } from '../identity.options';
import type { UserRepository } from '../repositories/user.repository';
import { FederatedPrincipalService } from './federated-principal.service';
import type { PrincipalService } from './principal.service';

const ISSUER = 'https://sso.plant.test/realms/plant';
const USER_ID = '7d8e4f7a-3b0c-4c55-9a55-0c1e4b7b9a11';

/**
 * The rules only (the SQL of findByExternalSubject is user.repository.e2e-spec.ts's; the whole way through
 * is test/sso/oidc-mqtt.e2e-spec.ts). ADR 0027.
 */
describe('FederatedPrincipalService.forAccessToken', () => {
  let lookups: { provider: string; issuer: string; subject: string }[];
  let grantTypes: { method: 'password' | 'token' | 'certificate'; isRequired: boolean }[];
  let enabled: boolean;

  const service = (oidcIssuer: string | undefined) => {
    const users = {
      findByExternalSubject: (provider: string, issuer: string, subject: string) => {
        lookups.push({ provider, issuer, subject });
        return Promise.resolve(subject === 'known' ? { id: USER_ID, grantTypes } : null);
      },
    } as unknown as UserRepository;
    const principals = {
      principal: (id: string) =>
        Promise.resolve({
          userId: id,
          username: 'alice',
          enabled,
          permissions: [],
          permissionsVersion: 1,
        } satisfies PrincipalDto),
    } as unknown as PrincipalService;
    const options = (oidcIssuer ? { oidc: { issuer: oidcIssuer } } : {}) as IdentityOptions;
    return new FederatedPrincipalService(users, principals, options);
  };

  beforeEach(() => {
    lookups = [];
    grantTypes = [
      { method: 'password', isRequired: false },
      { method: 'token', isRequired: false },
    ];
    enabled = true;
  });

  it('a bound, enabled user holding the token grant: ok, by token, depending on the password grant', async () => {
    await expect(
      service(ISSUER).forAccessToken({ provider: 'oidc', issuer: ISSUER, subject: 'known' }),
    ).resolves.toMatchObject({
      outcome: 'ok',
      principal: { userId: USER_ID },
      method: 'token',
      methods: ['token'],
      dependsOn: ['password'],
    });
    expect(lookups).toEqual([{ provider: 'oidc', issuer: ISSUER, subject: 'known' }]);
  });

  it('OIDC off in admin-api, or another issuer than its OIDC_ISSUER: bad credentials, nothing looked up', async () => {
    for (const [configured, asked] of [
      [undefined, ISSUER],
      [ISSUER, `${ISSUER}/`],
      [ISSUER, 'https://evil.test'],
    ] as const) {
      const r = await service(configured).forAccessToken({
        provider: 'oidc',
        issuer: asked,
        subject: 'known',
      });
      expect(r.outcome).toBe('bad-credentials');
      expect(r.principal).toBeUndefined();
    }
    expect(lookups).toEqual([]);
  });

  it('no user bound: bad credentials (CONNACK 4); disabled: not authorized (CONNACK 5, disabled wins)', async () => {
    const none = await service(ISSUER).forAccessToken({
      provider: 'oidc',
      issuer: ISSUER,
      subject: 'nobody',
    });
    expect(none).toMatchObject({ outcome: 'bad-credentials' });
    expect(none.reason).toContain('no Gatehouse user is bound');
    enabled = false;
    const off = await service(ISSUER).forAccessToken({ provider: 'oidc', issuer: ISSUER, subject: 'known' });
    expect(off).toEqual({ outcome: 'not-authorized', reason: 'user disabled' });
  });

  it('grant types (ADR 0011): without token, or without password, or with certificate required: not authorized', async () => {
    for (const grants of [
      [{ method: 'password', isRequired: false }],
      [{ method: 'token', isRequired: false }],
      [
        { method: 'password', isRequired: false },
        { method: 'token', isRequired: false },
        { method: 'certificate', isRequired: true },
      ],
    ] as const) {
      grantTypes = [...grants];
      const r = await service(ISSUER).forAccessToken({ provider: 'oidc', issuer: ISSUER, subject: 'known' });
      expect(r.outcome).toBe('not-authorized');
      expect(r.principal).toBeUndefined();
    }
  });
});
