import passport from 'passport';
import { IdentityError } from '../identity.error';
import type { AuthService, AuthSession } from '../services/auth.service';
import type { LoginInput, LoginService, VerifiedLogin } from '../services/login.service';
import type { StrategyRequest } from './bearer-token';
import { BearerStrategy } from './bearer.strategy';
import { LdapStrategy } from './ldap.strategy';
import { LocalStrategy } from './local.strategy';

/** What passport.authenticate's callback got: exactly what @nestjs/passport's AuthGuard hands to handleRequest. */
interface Outcome {
  err: unknown;
  user: unknown;
}

/** Runs strategies by name through Passport itself (the multi-strategy order AuthGuard uses). */
function run(names: string | string[], req: StrategyRequest & { query?: object }): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const middleware = passport.authenticate(names, { session: false }, (err: unknown, user: unknown) =>
      resolve({ err, user }),
    ) as (req: unknown, res: unknown, next: (err?: unknown) => void) => void;
    middleware(req, {}, (err) => reject(err instanceof Error ? err : new Error('next() called')));
  });
}

const SESSION: AuthSession = {
  userId: 'u1',
  username: 'alice',
  tokenId: 't1',
  permissionsVersion: 1,
  passwordChangeRequired: false,
  mfaEnrollmentRequired: false,
};

const verified = (username: string): VerifiedLogin => ({
  userId: `id-${username}`,
  username,
  mfaEnrollmentRequired: false,
  token: {},
});

function fakeAuth(answer: (token: string) => Promise<AuthSession>) {
  const calls: string[] = [];
  const auth = {
    authenticateBearer: (token: string) => {
      calls.push(token);
      return answer(token);
    },
  } as unknown as AuthService;
  return { auth, calls };
}

function fakeLogin(
  local: (i: LoginInput) => Promise<VerifiedLogin | null>,
  ldap: (i: LoginInput) => Promise<VerifiedLogin>,
) {
  const calls: string[] = [];
  const login = {
    verifyLocal: (i: LoginInput) => {
      calls.push('local');
      return local(i);
    },
    verifyDirectory: (i: LoginInput) => {
      calls.push('ldap');
      return ldap(i);
    },
  } as unknown as LoginService;
  return { login, calls };
}

const body = { username: 'alice', password: 'pw-1' };
const never = (): Promise<never> => Promise.reject(new Error('must not be called'));

describe('Passport strategies (ADR 0026): our errors, never a bare 401', () => {
  const made: { onModuleDestroy(): void }[] = [];
  const keep = <T extends { onModuleDestroy(): void }>(s: T): T => (made.push(s), s);
  afterEach(() => made.splice(0).forEach((s) => s.onModuleDestroy()));

  describe('bearer', () => {
    it('without an Authorization header: AUTH.UNAUTHENTICATED "missing bearer token" as an error, not a fail()', async () => {
      const { auth, calls } = fakeAuth(() => Promise.resolve(SESSION));
      const s = keep(new BearerStrategy(auth));
      const { err, user } = await run(s.scoped.name, { headers: {} });
      expect(err).toBeInstanceOf(IdentityError);
      expect(err).toMatchObject({ code: 'AUTH.UNAUTHENTICATED', message: 'missing bearer token' });
      expect(user).toBeFalsy();
      expect(calls).toEqual([]);
    });

    it('ignores a token in the query string, a cookie or the body (RFC 6750 2.3: only the header)', async () => {
      const { auth, calls } = fakeAuth(() => Promise.resolve(SESSION));
      const s = keep(new BearerStrategy(auth));
      const { err } = await run(s.scoped.name, {
        headers: { cookie: 'access_token=tok; token=tok' },
        query: { access_token: 'tok' },
        body: { access_token: 'tok' },
      });
      expect(err).toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
      expect(calls).toEqual([]);
    });

    it.each(['Basic dG9rOng=', 'Bearer', 'Bearer  two spaces', 'Bearer a b'])(
      'a header that is not exactly "Bearer <token>" (%j) is no token',
      async (header) => {
        const { auth, calls } = fakeAuth(() => Promise.resolve(SESSION));
        const s = keep(new BearerStrategy(auth));
        const { err } = await run(s.scoped.name, { headers: { authorization: header } });
        expect(err).toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
        expect(calls).toEqual([]);
      },
    );

    it('asks authenticateBearer on every request (no cache here) and answers its session', async () => {
      const { auth, calls } = fakeAuth(() => Promise.resolve(SESSION));
      const s = keep(new BearerStrategy(auth));
      for (let i = 0; i < 3; i++) {
        const { err, user } = await run(s.scoped.name, { headers: { authorization: 'bearer tok.en.x' } });
        expect(err).toBeNull();
        expect(user).toEqual(SESSION);
      }
      expect(calls).toEqual(['tok.en.x', 'tok.en.x', 'tok.en.x']);
    });

    it("passes authenticateBearer's error through unchanged (a revoked token: IDENTITY.INVALID_TOKEN)", async () => {
      const revoked = new IdentityError('IDENTITY.INVALID_TOKEN', 'invalid or expired token');
      const { auth } = fakeAuth(() => Promise.reject(revoked));
      const s = keep(new BearerStrategy(auth));
      const { err, user } = await run(s.scoped.name, { headers: { authorization: 'Bearer tok' } });
      expect(err).toBe(revoked);
      expect(user).toBeFalsy();
    });
  });

  describe('local then ldap', () => {
    it('a local decision never reaches the directory', async () => {
      const { login, calls } = fakeLogin(() => Promise.resolve(verified('alice')), never);
      const local = keep(new LocalStrategy(login));
      const ldap = keep(new LdapStrategy(login));
      const { err, user } = await run([local.scoped.name, ldap.scoped.name], { headers: {}, body });
      expect(err).toBeNull();
      expect(user).toEqual(verified('alice'));
      expect(calls).toEqual(['local']);
    });

    it.each(
      [
        new IdentityError('IDENTITY.INVALID_CREDENTIALS', 'invalid username or password'),
        new IdentityError('IDENTITY.RATE_LIMITED', 'too many failed logins; try again later', 42),
        new IdentityError('AUTH.MFA_REQUIRED', 'this user has MFA: send "otp" (or a "backupCode")'),
        new IdentityError('IDENTITY.TOKEN_LIFETIME_TOO_LONG', 'expireTimeInHours 99 is above …'),
      ].map((e) => [e.code, e] as const),
    )(
      "the local step's error %s is the answer, unchanged, and the directory is not asked",
      async (_code, e) => {
        const { login, calls } = fakeLogin(() => Promise.reject(e), never);
        const local = keep(new LocalStrategy(login));
        const ldap = keep(new LdapStrategy(login));
        const { err } = await run([local.scoped.name, ldap.scoped.name], { headers: {}, body });
        expect(err).toBe(e);
        expect(calls).toEqual(['local']);
      },
    );

    it("hands on to ldap only when the local step says the directory decides; ldap's error is the answer", async () => {
      const outage = new IdentityError('IDENTITY.DIRECTORY_UNAVAILABLE', 'the directory is unreachable');
      const { login, calls } = fakeLogin(
        () => Promise.resolve(null),
        () => Promise.reject(outage),
      );
      const local = keep(new LocalStrategy(login));
      const ldap = keep(new LdapStrategy(login));
      const { err } = await run([local.scoped.name, ldap.scoped.name], { headers: {}, body });
      expect(err).toBe(outage);
      expect(calls).toEqual(['local', 'ldap']);
    });

    it('reads the login from the body only, with the caller address', async () => {
      const seen: LoginInput[] = [];
      const { login } = fakeLogin((i) => (seen.push(i), Promise.resolve(verified('alice'))), never);
      const local = keep(new LocalStrategy(login));
      await run(local.scoped.name, {
        headers: {},
        ip: '127.0.0.9',
        body: { ...body, otp: '123456', label: 'ci', expireTimeInHours: 2 },
        query: { username: 'mallory', password: 'x' },
      });
      expect(seen).toEqual([{ ...body, otp: '123456', label: 'ci', expireTimeInHours: 2, ip: '127.0.0.9' }]);
    });

    it('a body without username or password (only the query has them) is the invalid-credentials error', async () => {
      const { login, calls } = fakeLogin(never, never);
      const local = keep(new LocalStrategy(login));
      const { err } = await run(local.scoped.name, { headers: {}, body: {}, query: body });
      expect(err).toMatchObject({
        code: 'IDENTITY.INVALID_CREDENTIALS',
        message: 'invalid username or password',
      });
      expect(calls).toEqual([]);
    });
  });

  describe('scoped names (two apps in one process)', () => {
    it('each instance answers under its own name with its own services, whichever was constructed last', async () => {
      const a = keep(
        new BearerStrategy(fakeAuth(() => Promise.resolve({ ...SESSION, userId: 'from-a' })).auth),
      );
      const b = keep(
        new BearerStrategy(fakeAuth(() => Promise.resolve({ ...SESSION, userId: 'from-b' })).auth),
      );
      expect(a.scoped.name).not.toBe(b.scoped.name);
      const req = { headers: { authorization: 'Bearer tok' } };
      expect((await run(a.scoped.name, req)).user).toMatchObject({ userId: 'from-a' });
      expect((await run(b.scoped.name, req)).user).toMatchObject({ userId: 'from-b' });
    });

    it('is released when the module is destroyed', async () => {
      const s = new BearerStrategy(fakeAuth(() => Promise.resolve(SESSION)).auth);
      s.onModuleDestroy();
      await expect(run(s.scoped.name, { headers: {} })).rejects.toThrow(/Unknown authentication strategy/);
    });
  });
});
