import fc from 'fast-check';
import { GRANT_METHODS, type GrantMethod, admitGrants, sessionKeepsGrants } from './grant-types';

const g = (method: GrantMethod, isRequired = false) => ({ method, isRequired });

describe('grant types (ADR 0011)', () => {
  it('any one held grant admits when none is required', () => {
    const grants = [g('password'), g('certificate')];
    expect(admitGrants(grants, ['password'])).toMatchObject({ ok: true, methods: ['password'] });
    expect(admitGrants(grants, ['certificate'])).toMatchObject({ ok: true, methods: ['certificate'] });
  });

  it('a method the user does not hold proves nothing', () => {
    const d = admitGrants([g('password')], ['token']);
    expect(d.ok).toBe(false);
    expect(d.reason).toBe('grant type token not held (holds password)');
    expect(admitGrants([g('certificate')], ['certificate', 'password'])).toMatchObject({
      ok: true,
      methods: ['certificate'],
    });
    expect(admitGrants([], ['password']).ok).toBe(false);
  });

  it('certificate AND password required: one alone is refused, both are admitted', () => {
    const grants = [g('password', true), g('certificate', true)];
    expect(admitGrants(grants, ['certificate'])).toMatchObject({
      ok: false,
      reason: 'required grant type password not presented',
    });
    expect(admitGrants(grants, ['password']).ok).toBe(false);
    expect(admitGrants(grants, ['certificate', 'password'])).toMatchObject({
      ok: true,
      methods: ['certificate', 'password'],
    });
  });

  it('a live session ends when a method it used is removed, or when it no longer satisfies the required ones', () => {
    expect(sessionKeepsGrants([g('certificate')], ['certificate', 'password'])).toMatchObject({
      ok: false,
      reason: 'grant type password removed',
    });
    expect(sessionKeepsGrants([g('password'), g('certificate', true)], ['password']).ok).toBe(false);
    expect(sessionKeepsGrants([g('password'), g('token')], ['password']).ok).toBe(true);
  });

  it('a session on a login token also ends when the password grant goes (dependsOn)', () => {
    expect(sessionKeepsGrants([g('token')], ['token'], ['password'])).toMatchObject({
      ok: false,
      reason: 'grant type password removed',
    });
    expect(sessionKeepsGrants([g('token'), g('password')], ['token'], ['password']).ok).toBe(true);
  });

  it('property: admitted ⇔ some proven method is held and every required one is proven', () => {
    const method = fc.constantFrom(...GRANT_METHODS);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ method, isRequired: fc.boolean() }), { selector: (x) => x.method }),
        fc.array(method, { maxLength: 4 }),
        (grants, proven) => {
          const held = (m: string) => grants.some((x) => x.method === m);
          const expected =
            proven.some(held) && grants.every((x) => !x.isRequired || proven.includes(x.method));
          const d = admitGrants(grants, proven);
          expect(d.ok).toBe(expected);
          expect(d.methods.every((m) => held(m) && proven.includes(m))).toBe(true);
          if (!d.ok) expect(d.reason).toBeTruthy();
          // a session survives exactly when nothing it used was removed and it is still admitted
          expect(sessionKeepsGrants(grants, d.methods).ok).toBe(d.ok);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
