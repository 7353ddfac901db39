import type { INestApplication } from '@nestjs/common';

/** What must never appear in a response body (SPEC 1.3, issue 2 case 7). */
export const SECRET_PATTERNS: readonly RegExp[] = [
  /\$argon2(id|i|d)\$/, // an argon2 hash
  /argon2/i,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/, // a PEM private key
  /"d"\s*:\s*"[A-Za-z0-9_-]{20,}"/, // the private part of a JWK
  /"(passwordHash|password_hash|privateJwk|private_jwk|totpSecret|totp_secret|sealedSecret|sealed_secret|codeHash|code_hash)"/,
  /"backupCodes"/,
  /otpauth:\/\//, // a TOTP provisioning URI
];

/**
 * The only answers that may show MFA secrets, once and to their owner (SPEC 2.1): the enrolment
 * (`{secret, otpauthUri}`) and new backup codes. Every other pattern is still checked there.
 */
const MFA_ENROLMENT_ANSWERS = /^POST \/api\/me\/mfa(\/confirm|\/backup-codes)?(\?.*)?$/;
const MFA_SECRET_PATTERNS = new Set(['"backupCodes"', 'otpauth:\\/\\/']);

export interface LeakReport {
  method: string;
  url: string;
  pattern: string;
}

/**
 * Installs an Express middleware that inspects EVERY response body the app sends (not a sample)
 * and records each one that matches a secret pattern.
 */
export function installSecretLeakDetector(app: INestApplication): LeakReport[] {
  const leaks: LeakReport[] = [];
  type Writer = (...args: unknown[]) => unknown;
  const express = app.getHttpAdapter().getInstance() as {
    use(
      fn: (
        req: { method: string; originalUrl: string },
        res: { write: Writer; end: Writer },
        next: () => void,
      ) => void,
    ): void;
  };
  express.use((req, res, next) => {
    const chunks: Buffer[] = [];
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    const keep = (chunk: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      chunks.push(
        Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(typeof chunk === 'string' ? chunk : JSON.stringify(chunk)),
      );
    };
    res.write = (chunk: unknown, ...rest: unknown[]) => {
      keep(chunk);
      return write(chunk, ...rest);
    };
    res.end = (chunk?: unknown, ...rest: unknown[]) => {
      keep(chunk);
      const body = Buffer.concat(chunks).toString('utf8');
      const enrolment = MFA_ENROLMENT_ANSWERS.test(`${req.method} ${req.originalUrl}`);
      for (const p of SECRET_PATTERNS) {
        if (enrolment && MFA_SECRET_PATTERNS.has(p.source)) continue;
        if (p.test(body)) leaks.push({ method: req.method, url: req.originalUrl, pattern: p.source });
      }
      return end(chunk, ...rest);
    };
    next();
  });
  return leaks;
}
