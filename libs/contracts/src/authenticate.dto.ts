import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { GRANT_METHODS, type GrantMethod } from './grant-types';
import { PrincipalDto } from './principal.dto';

export class AuthenticateRequestDto {
  @IsString()
  @MaxLength(65535)
  username!: string;

  /** The user's password or a token issued to that user. Absent with a client certificate. */
  @IsOptional()
  @IsString()
  @MaxLength(65535)
  password?: string;

  @IsString()
  @MaxLength(65535)
  clientId!: string;

  @IsOptional()
  @IsString()
  remoteAddress?: string;

  /** SHA-256 fingerprint (hex, lower case) of a client certificate the TLS listener verified. */
  @IsOptional()
  @IsString()
  certificateFingerprint?: string;
}

export const AUTHENTICATE_OUTCOMES = [
  'ok',
  'bad-credentials',
  'not-authorized',
  'rate-limited',
  'pending-registration',
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
  userId!: string;
}
