import { Inject, Injectable } from '@nestjs/common';
import { IdentityError } from '../identity.error';
import { IDENTITY_OPTIONS, type IdentityOptions, type PasswordPolicyOptions } from '../identity.options';

export const MAX_PASSWORD_LENGTH = 256;

/** Checks passwords against PASSWORD_POLICY (SPEC 2.1). */
@Injectable()
export class PasswordPolicyService {
  constructor(@Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions) {}

  get policy(): Required<PasswordPolicyOptions> & { max: number } {
    const p = this.options.passwordPolicy;
    return {
      min: p.min,
      lower: p.lower ?? 0,
      upper: p.upper ?? 0,
      numeric: p.numeric ?? 0,
      symbol: p.symbol ?? 0,
      max: MAX_PASSWORD_LENGTH,
    };
  }

  /** Throws IDENTITY.WEAK_PASSWORD naming the first rule the password breaks. */
  check(password: string): void {
    const p = this.policy;
    const count = (re: RegExp) => (password.match(re) ?? []).length;
    const chars = [...password].length;
    const fail = (rule: string) => {
      throw new IdentityError('IDENTITY.WEAK_PASSWORD', `password policy: ${rule}`);
    };
    if (chars < p.min) fail(`at least ${p.min} characters`);
    if (chars > p.max) fail(`at most ${p.max} characters`);
    if (count(/\p{Ll}/gu) < p.lower) fail(`at least ${p.lower} lower-case letter(s)`);
    if (count(/\p{Lu}/gu) < p.upper) fail(`at least ${p.upper} upper-case letter(s)`);
    if (count(/\p{Nd}/gu) < p.numeric) fail(`at least ${p.numeric} digit(s)`);
    if (count(/[^\p{L}\p{Nd}]/gu) < p.symbol) fail(`at least ${p.symbol} symbol(s)`);
  }
}
