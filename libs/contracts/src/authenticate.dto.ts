import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIP,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { GRANT_METHODS, type GrantMethod } from './grant-types';
import { PrincipalDto } from './principal.dto';
import { USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH, USERNAME_PATTERN } from './username';

/** No U+0000: PostgreSQL text cannot hold it, and MQTT forbids it in strings [MQTT-1.5.3-2]. */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what is refused
const NO_NUL = /^[^\u0000]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class AuthenticateRequestDto {
  /** SPEC 1.3; the gateway refuses other usernames itself (CONNACK 4). */
  @IsString()
  @Length(USERNAME_MIN_LENGTH, USERNAME_MAX_LENGTH)
  @Matches(USERNAME_PATTERN, { message: 'username may hold only letters, digits and _ . : @ -' })
  username!: string;

  /** The user's password or a token issued to that user. Absent with a client certificate. */
  @IsOptional()
  @IsString()
  @MaxLength(65535)
  password?: string;

  @IsString()
  @MaxLength(65535)
  @Matches(NO_NUL, { message: 'clientId must not contain U+0000' })
  clientId!: string;

  @IsOptional()
  @IsIP()
  remoteAddress?: string;

  /** SHA-256 fingerprint (hex, lower case) of a client certificate the TLS listener verified. */
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/, { message: 'certificateFingerprint must be 64 lower-case hex digits' })
  certificateFingerprint?: string;
}

export const AUTHENTICATE_OUTCOMES = [
  'ok',
  'bad-credentials',
  'not-authorized',
  'rate-limited',
  'pending-registration',
  /** An outside dependency (the LDAP directory) cannot decide now: CONNACK 3 (SPEC 2.1a). */
  'unavailable',
] as const;
export type AuthenticateOutcome = (typeof AUTHENTICATE_OUTCOMES)[number];

export class AuthenticateResultDto {
  @IsIn(AUTHENTICATE_OUTCOMES)
  outcome!: AuthenticateOutcome;

  @IsOptional()
  @ValidateNested()
  @Type(() => PrincipalDto)
  principal?: PrincipalDto;

  /** How the session authenticated, so that revoking that credential ends it. */
  @IsOptional()
  @IsIn(['password', 'token', 'certificate'])
  method?: 'password' | 'token' | 'certificate';

  @IsOptional()
  @IsString()
  tokenId?: string;

  @IsOptional()
  @IsString()
  certificateFingerprint?: string;

  /** Every method the CONNECT proved (ADR 0011): removing one of them ends the session. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(3)
  @IsIn(GRANT_METHODS, { each: true })
  methods?: GrantMethod[];

  /** Grants the credential itself needs besides `methods` (a login token: `password`, ADR 0011). */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(3)
  @IsIn(GRANT_METHODS, { each: true })
  dependsOn?: GrantMethod[];

  /** When the credential stops being valid (token `exp`, certificate `notAfter`), ms since the epoch. */
  @IsOptional()
  @IsInt()
  @Min(0)
  expiresAt?: number;

  /** Why a CONNECT was refused, for the gateway's log line (never a secret). */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  reason?: string;
}

export class ResolvePrincipalRequestDto {
  @IsString()
  @Matches(UUID, { message: 'userId must be a UUID' })
  userId!: string;
}

/** Who a provider's access token names (ADR 0027): its verified `iss` and `sub`. */
export class ResolveFederatedPrincipalRequestDto {
  /** The identity provider kind; only OpenID Connect access tokens are verified by the gateways. */
  @IsIn(['oidc'])
  provider!: 'oidc';

  @IsString()
  @Length(1, 255)
  @Matches(NO_NUL, { message: 'issuer must not contain U+0000' })
  issuer!: string;

  /** The token's `sub` (case-sensitive, OIDC Core 2). */
  @IsString()
  @Length(1, 255)
  @Matches(NO_NUL, { message: 'subject must not contain U+0000' })
  subject!: string;
}
