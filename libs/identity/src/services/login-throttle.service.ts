import { Inject, Injectable } from '@nestjs/common';
import { FailureLimiter } from '@gatehouse/contracts';
import { IdentityError } from '../identity.error';
import { IDENTITY_OPTIONS, type IdentityOptions } from '../identity.options';

/**
 * Failed-login limits per username and per client IP in a fixed window (SPEC 2.1, ADR 0003). A
 * lock-out lasts at most until the window that started with the first failure ends, so the limit
 * cannot keep a legitimate user out for longer than the window. In memory, per instance.
 */
@Injectable()
export class LoginThrottle extends FailureLimiter {
  constructor(@Inject(IDENTITY_OPTIONS) options: IdentityOptions) {
    super(options.loginLimits);
  }

  /** Throws IDENTITY.RATE_LIMITED with Retry-After when either key is over its limit. */
  assertAllowed(username: string, ip: string | undefined, now = Date.now()): void {
    const retryAfter = this.retryAfter(username, ip, now);
    if (retryAfter > 0)
      throw new IdentityError('IDENTITY.RATE_LIMITED', 'too many failed logins; try again later', retryAfter);
  }
}
