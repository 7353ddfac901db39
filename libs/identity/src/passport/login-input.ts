import { IdentityError } from '../identity.error';
import type { LoginInput } from '../services/login.service';
import type { StrategyRequest } from './bearer-token';

/**
 * The login fields of a `POST /api/login` body (validated against the app's DTO before the strategies
 * run) and the caller's address. Read from the body only, never the query string (passport-local
 * falls back to it). A body without a username or password is the login's one answer, never
 * Passport's "Missing credentials".
 */
export function loginInputOf(req: StrategyRequest): LoginInput {
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
  const text = (key: string): string | undefined => {
    const v = body[key];
    return typeof v === 'string' ? v : undefined;
  };
  const username = text('username');
  const password = text('password');
  if (username === undefined || password === undefined)
    throw new IdentityError('IDENTITY.INVALID_CREDENTIALS', 'invalid username or password');
  const hours = body.expireTimeInHours;
  const [otp, backupCode, label] = [text('otp'), text('backupCode'), text('label')];
  return {
    username,
    password,
    ...(otp !== undefined ? { otp } : {}),
    ...(backupCode !== undefined ? { backupCode } : {}),
    ...(typeof hours === 'number' ? { expireTimeInHours: hours } : {}),
    ...(label !== undefined ? { label } : {}),
    ...(req.ip !== undefined ? { ip: req.ip } : {}),
  };
}
