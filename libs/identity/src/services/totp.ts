import { Secret, TOTP } from 'otpauth';

/** SPEC 2.1: RFC 6238 as authenticator apps expect it. */
const PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
/** Steps accepted either side of now (clock drift of the phone): ±1, so a code lives at most 90 s (ADR 0020). */
const WINDOW = 1;
const ISSUER = 'Gatehouse';

/** A new TOTP secret: 160 bits from the CSPRNG (RFC 4226 recommends 160). */
export function newTotpSecret(): Uint8Array {
  return new Secret({ size: 20 }).bytes;
}

export function base32Of(secret: Uint8Array): string {
  return new Secret({ buffer: Uint8Array.from(secret).buffer }).base32;
}

/** The `otpauth://totp/...` provisioning URI for an authenticator app (QR code). */
export function provisioningUri(secret: Uint8Array, username: string): string {
  return new TOTP({
    ...PARAMS,
    issuer: ISSUER,
    label: username,
    secret: new Secret({ buffer: Uint8Array.from(secret).buffer }),
  }).toString();
}

/**
 * The time step (RFC 6238 counter) whose code `otp` is, within the window around `now`; null when it
 * is none. The caller refuses a step at or below the last one accepted (replay).
 */
export function totpStep(secret: Uint8Array, otp: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(otp)) return null;
  const delta = TOTP.validate({
    ...PARAMS,
    token: otp,
    secret: new Secret({ buffer: Uint8Array.from(secret).buffer }),
    timestamp: now,
    window: WINDOW,
  });
  return delta === null ? null : TOTP.counter({ period: PARAMS.period, timestamp: now }) + delta;
}
