import { Inject, Injectable } from '@nestjs/common';
import { dictionary } from '@zxcvbn-ts/language-common';
import { IdentityError } from '../identity.error';
import { IDENTITY_OPTIONS, type IdentityOptions, type PasswordPolicyOptions } from '../identity.options';

export const MAX_PASSWORD_LENGTH = 256;
/** ASVS 6.2.1: PASSWORD_POLICY may raise the minimum length, never lower it below this. */
export const MIN_PASSWORD_LENGTH = 8;
/** The product's name: never a password, nor a part that counts towards its length (ASVS 6.2.11). */
export const PRODUCT_NAME = 'gatehouse';

/** Who the password is for: the words of its context that it must not lean on. */
export interface PasswordContext {
  username?: string;
}

let commonPasswords: ReadonlySet<string> | undefined;

/**
 * The common-password list shipped with `@zxcvbn-ts/language-common` (`passwords-common`, about 49,000
 * entries from breach corpora, all lower case), loaded once per process on first use (ASVS 6.2.4, 6.2.12).
 */
export function commonPasswordList(): ReadonlySet<string> {
  return (commonPasswords ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase())));
}

/** True when the password is on the common-password list, compared without regard to case. */
export function isCommonPassword(password: string): boolean {
  return commonPasswordList().has(password.toLowerCase());
}

const chars = (s: string) => [...s].length;
/** The core of a remainder: separators and symbols at its ends ("-secret-") do not make it another word. */
const core = (s: string) => s.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

/**
 * Checks passwords against PASSWORD_POLICY (SPEC 2.1) and ASVS 6.2: at least 8 characters (counted
 * as code points), at most 256, not on the common-password list, and not built on the product's name
 * or the user's own name (ADR 0009): with every occurrence of those words removed (case-insensitive),
 * what is left must still meet the minimum length and must not be a common password.
 */
@Injectable()
export class PasswordPolicyService {
  constructor(@Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions) {}

  get policy(): Required<PasswordPolicyOptions> & { max: number } {
    const p = this.options.passwordPolicy;
    return {
      min: Math.max(MIN_PASSWORD_LENGTH, p.min),
      lower: p.lower ?? 0,
      upper: p.upper ?? 0,
      numeric: p.numeric ?? 0,
      symbol: p.symbol ?? 0,
      max: MAX_PASSWORD_LENGTH,
    };
  }

  /** Throws IDENTITY.WEAK_PASSWORD naming the first rule the password breaks. */
  check(password: string, context: PasswordContext = {}): void {
    const p = this.policy;
    const count = (re: RegExp) => (password.match(re) ?? []).length;
    const fail = (rule: string) => {
      throw new IdentityError('IDENTITY.WEAK_PASSWORD', `password policy: ${rule}`);
    };
    const length = chars(password);
    if (length < p.min) fail(`at least ${p.min} characters`);
    if (length > p.max) fail(`at most ${p.max} characters`);
    if (isCommonPassword(password))
      fail('this is a commonly used password (on a list of breached passwords)');
    const words: [string, string][] = [[PRODUCT_NAME, `the product name "${PRODUCT_NAME}"`]];
    if (context.username) words.push([context.username.toLowerCase(), 'the username']);
    let rest = password.toLowerCase();
    for (const [word, what] of words) {
      if (!rest.includes(word)) continue;
      rest = rest.split(word).join('');
      if (chars(rest) < p.min)
        fail(`must not be ${what}, nor contain it with fewer than ${p.min} other characters`);
      if (isCommonPassword(core(rest))) fail(`must not be ${what} combined with a common password`);
    }
    if (count(/\p{Ll}/gu) < p.lower) fail(`at least ${p.lower} lower-case letter(s)`);
    if (count(/\p{Lu}/gu) < p.upper) fail(`at least ${p.upper} upper-case letter(s)`);
    if (count(/\p{Nd}/gu) < p.numeric) fail(`at least ${p.numeric} digit(s)`);
    if (count(/[^\p{L}\p{Nd}]/gu) < p.symbol) fail(`at least ${p.symbol} symbol(s)`);
  }
}
