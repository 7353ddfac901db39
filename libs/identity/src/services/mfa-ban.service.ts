import { Injectable } from '@nestjs/common';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { LoginThrottle } from './login-throttle.service';

/** SPEC 2.1: 5 wrong codes, then MFA logins of that user are refused for 5 minutes (Connectware's defaults). */
export const MFA_MAX_WRONG_CODES = 5;
export const MFA_BAN_SECONDS = 300;
/** The wrong codes counted together: those of the last 15 minutes (the failed-login window, ADR 0003). */
const COUNT_WINDOW_SECONDS = 900;

/**
 * The MFA ban (ADR 0020), per user id, on the failed-login store: in Redis when `REDIS_URL` is set
 * (shared by every admin-api instance), in memory otherwise. Only a caller who got past the password
 * (or holds a session) reaches a code, so nobody can ban a user without its password.
 */
@Injectable()
export class MfaBan {
  private readonly wrong: RateLimiterAbstract;

  constructor(throttle: LoginThrottle) {
    this.wrong = throttle.counter('mfa:wrong:', MFA_MAX_WRONG_CODES, COUNT_WINDOW_SECONDS);
  }

  /** Seconds the user's MFA is still banned; 0 when codes may be tried. */
  async retryAfter(userId: string): Promise<number> {
    const res = await this.wrong.get(userId);
    return res && res.consumedPoints >= MFA_MAX_WRONG_CODES
      ? Math.max(1, Math.ceil(res.msBeforeNext / 1000))
      : 0;
  }

  /** Counts a wrong code; answers the ban's length when this one filled the limit, else 0. */
  async recordWrongCode(userId: string): Promise<number> {
    try {
      const res = await this.wrong.consume(userId);
      if (res.consumedPoints < MFA_MAX_WRONG_CODES) return 0;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
    }
    await this.wrong.block(userId, MFA_BAN_SECONDS);
    return MFA_BAN_SECONDS;
  }

  /** A right code: the count starts again. */
  async clear(userId: string): Promise<void> {
    await this.wrong.delete(userId);
  }
}
