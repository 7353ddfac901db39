import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT, jwtVerify } from 'jose';
import { IdentityError } from '../identity.error';
import { IDENTITY_OPTIONS, type IdentityOptions } from '../identity.options';
import { TokenRepository } from '../repositories/token.repository';
import { SigningKeyService, TOKEN_ALGORITHM } from './signing-key.service';

export interface IssuedToken {
  token: string;
  tokenId: string;
  expiresAt: Date;
}

export interface VerifiedToken {
  userId: string;
  tokenId: string;
}

export interface TokenView {
  id: string;
  label: string | null;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Tokens whose signature was verified, so the ES256 check runs once per token, not per request. */
const VERIFIED_CACHE_MAX = 10_000;

/** Issues, verifies, lists and revokes JWT access tokens (SPEC 2.1). */
@Injectable()
export class TokenService {
  private readonly verified = new Map<string, VerifiedToken & { exp: number }>();

  constructor(
    private readonly repository: TokenRepository,
    private readonly keys: SigningKeyService,
    @Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions,
  ) {}

  /** True when the string has the shape of a JWT (so an MQTT password is tried as a token). */
  static looksLikeToken(value: string): boolean {
    return value.length > 20 && value.length < 8192 && JWT_SHAPE.test(value);
  }

  /**
   * The lifetime of a new token in hours (ADR 0009, ASVS 7.3.2): the caller's `expireTimeInHours`, else
   * 365 days with a label and `sessionTokenHours` (12) without; never above the server's cap, which is
   * TOKEN_MAX_HOURS for labelled (long-lived) tokens and LOGIN_TOKEN_MAX_HOURS for login tokens. Asking
   * for more is IDENTITY.TOKEN_LIFETIME_TOO_LONG, naming the cap; a default above the cap is lowered to it.
   */
  lifetimeHours(opts: { expireTimeInHours?: number; label?: string }): number {
    const labelled = !!opts.label;
    const cap = labelled ? this.options.tokenMaxHours : this.options.loginTokenMaxHours;
    if (opts.expireTimeInHours === undefined)
      return Math.min(labelled ? 24 * 365 : this.options.sessionTokenHours, cap);
    if (opts.expireTimeInHours > cap) {
      throw new IdentityError(
        'IDENTITY.TOKEN_LIFETIME_TOO_LONG',
        labelled
          ? `expireTimeInHours ${opts.expireTimeInHours} is above TOKEN_MAX_HOURS (${cap} h), the longest a labelled token may live`
          : `expireTimeInHours ${opts.expireTimeInHours} is above LOGIN_TOKEN_MAX_HOURS (${cap} h), the longest a login token without a label may live; ask for a labelled token for longer`,
      );
    }
    return opts.expireTimeInHours;
  }

  async issue(userId: string, opts: { expireTimeInHours?: number; label?: string }): Promise<IssuedToken> {
    const hours = this.lifetimeHours(opts);
    const tokenId = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const exp = now + Math.round(hours * 3600);
    const { kid, privateKey } = this.keys.current;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid, typ: 'JWT' })
      .setSubject(userId)
      .setJti(tokenId)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setIssuer(this.options.tokenIssuer)
      .sign(privateKey);
    const expiresAt = new Date(exp * 1000);
    await this.repository.insert({ id: tokenId, userId, label: opts.label ?? null, expiresAt });
    return { token, tokenId, expiresAt };
  }

  /**
   * Checks signature, algorithm (only ES256: `alg: none` and every other algorithm are refused),
   * issuer, `exp`, `iat`, `sub` and `jti`. Revocation and the user's state are checked by the caller
   * against the database.
   *
   * A token that passed is remembered (keyed by its exact text, at most {@link VERIFIED_CACHE_MAX},
   * oldest dropped first) until its `exp`, so the ES256 verification runs once per token rather than
   * once per request; the revocation and user checks still run every time.
   */
  async verifySignature(token: string): Promise<VerifiedToken> {
    if (!TokenService.looksLikeToken(token))
      throw new IdentityError('IDENTITY.INVALID_TOKEN', 'malformed token');
    const cached = this.verified.get(token);
    if (cached !== undefined) {
      if (cached.exp > Date.now()) return { userId: cached.userId, tokenId: cached.tokenId };
      this.verified.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, this.keys.current.publicKey, {
        algorithms: [TOKEN_ALGORITHM],
        issuer: this.options.tokenIssuer,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      });
      const verified = { userId: payload.sub as string, tokenId: payload.jti as string };
      if (this.verified.size >= VERIFIED_CACHE_MAX)
        this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(token, { ...verified, exp: (payload.exp as number) * 1000 });
      return verified;
    } catch {
      throw new IdentityError('IDENTITY.INVALID_TOKEN', 'invalid or expired token');
    }
  }

  async listLabelled(userId: string): Promise<TokenView[]> {
    const rows = await this.repository.findLabelled(userId);
    return rows.map((r) => ({
      id: r.id,
      label: r.label,
      createdAt: r.createdAt,
      expiresAt: r.expiresAt,
      revokedAt: r.revokedAt,
      lastUsedAt: r.lastUsedAt,
    }));
  }

  /** Revokes one token of the user. Answers false when it does not exist or was already revoked. */
  async revoke(userId: string, tokenId: string): Promise<boolean> {
    return this.repository.revoke(userId, tokenId);
  }

  async exists(userId: string, tokenId: string): Promise<boolean> {
    return this.repository.exists(userId, tokenId);
  }
}
