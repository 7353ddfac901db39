import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { GrantTypeMessageDto } from './grant-types';
import { PrincipalDto } from './principal.dto';

export const PRINCIPAL_CHANGE_KINDS = [
  /** Effective permissions or publish prefix changed: rebuild the matcher from `principal`. */
  'permissions',
  /** Disabled or deleted: disconnect every session of the user. */
  'disabled',
  'deleted',
  /** Password changed: disconnect sessions that logged in with the password or a token. */
  'credentials-changed',
  /** One token revoked: disconnect sessions that logged in with it. */
  'token-revoked',
  /** One certificate revoked: disconnect sessions that logged in with it. */
  'certificate-revoked',
  /** Grant types changed: disconnect sessions whose way in they no longer admit (`grantTypes`, ADR 0011). */
  'grants-changed',
] as const;
export type PrincipalChangeKind = (typeof PRINCIPAL_CHANGE_KINDS)[number];

export class PrincipalChangedEventDto {
  @IsString()
  userId!: string;

  @IsIn(PRINCIPAL_CHANGE_KINDS)
  kind!: PrincipalChangeKind;

  /** Present for kind `permissions`. */
  @IsOptional()
  @ValidateNested()
  @Type(() => PrincipalDto)
  principal?: PrincipalDto;

  @IsOptional()
  @IsString()
  tokenId?: string;

  @IsOptional()
  @IsString()
  certificateFingerprint?: string;

  /** Present for kind `grants-changed`: the user's grant types now. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @ValidateNested({ each: true })
  @Type(() => GrantTypeMessageDto)
  grantTypes?: GrantTypeMessageDto[];
}

export class GatewayRegistrationDto {
  /** As GATEWAY_ID is validated by the gateway. */
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,128}$/, {
    message: 'gatewayId must be 1..128 characters of A-Z a-z 0-9 _ . : -',
  })
  gatewayId!: string;

  /** An IP address or host name (IPv6 zone ids included). */
  @IsString()
  @Matches(/^[A-Za-z0-9.:%_-]{1,253}$/, { message: 'host must be an IP address or host name' })
  host!: string;

  @IsInt()
  @Min(1)
  @Max(65535)
  port!: number;

  /**
   * How often this gateway registers (`GATEWAY_REGISTRATION_INTERVAL_MS`): admin-api's session queries
   * skip a gateway not seen for 3 intervals (ADR 0022). Optional for older gateways.
   */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  registrationIntervalMs?: number;
}
