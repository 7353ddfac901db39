import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PrincipalDto } from './principal.dto';

/** Asks a gateway for its live sessions (SPEC 2.3 `GET /api/sessions`); both filters optional. */
export class ListSessionsRequestDto {
  @IsOptional()
  @IsString()
  @MaxLength(64)
  userId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  clientId?: string;
}

export class LiveSubscriptionDto {
  @IsString()
  @MaxLength(65535)
  filter!: string;

  @IsInt()
  @Min(0)
  @Max(2)
  qos!: number;
}

/** One live MQTT session of a gateway. */
export class LiveSessionDto {
  @IsString()
  clientId!: string;

  @IsString()
  userId!: string;

  @IsString()
  username!: string;

  @IsString()
  gatewayId!: string;

  /** Changes on every gateway start (two processes with one GATEWAY_ID are told apart). */
  @IsString()
  gatewayInstance!: string;

  @IsOptional()
  @IsString()
  remoteAddress?: string;

  @IsIn(['mqtt', 'mqtts', 'ws', 'unknown'])
  listener!: string;

  @IsArray()
  @ArrayMaxSize(100_000)
  @ValidateNested({ each: true })
  @Type(() => LiveSubscriptionDto)
  subscriptions!: LiveSubscriptionDto[];

  /** ISO 8601. */
  @IsString()
  connectedAt!: string;
}

export class ListSessionsResultDto {
  @IsString()
  gatewayId!: string;

  @IsString()
  gatewayInstance!: string;

  @IsArray()
  @ArrayMaxSize(1_000_000)
  @ValidateNested({ each: true })
  @Type(() => LiveSessionDto)
  sessions!: LiveSessionDto[];
}

/** Asks a gateway to end the session of `clientId` if it holds it (`DELETE /api/sessions/{clientId}`). */
export class DisconnectSessionRequestDto {
  @IsString()
  @MaxLength(256)
  clientId!: string;
}

export class DisconnectSessionResultDto {
  @IsString()
  gatewayId!: string;

  @IsString()
  gatewayInstance!: string;

  @IsBoolean()
  disconnected!: boolean;
}

/** The would-be principals of the users a change affects (`POST /api/{roles,users}/{id}/preview`). */
export class PreviewRevocationsRequestDto {
  @IsArray()
  @ArrayMaxSize(100_000)
  @ValidateNested({ each: true })
  @Type(() => PrincipalDto)
  principals!: PrincipalDto[];

  /** Users whose password the change sets: their password and token sessions would end (SPEC 3). */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100_000)
  @IsString({ each: true })
  credentialsChanged?: string[];
}

/** One live session or subscription a change would revoke on a gateway. */
export class PreviewRevocationDto {
  @IsString()
  userId!: string;

  @IsString()
  clientId!: string;

  @IsString()
  gatewayId!: string;

  /** `subscription`: the filter would be removed; `session`: the session would end (user disabled). */
  @IsIn(['subscription', 'session'])
  kind!: 'subscription' | 'session';

  @IsOptional()
  @IsString()
  filter?: string;
}

export class PreviewRevocationsResultDto {
  @IsString()
  gatewayId!: string;

  @IsString()
  gatewayInstance!: string;

  @IsArray()
  @ArrayMaxSize(1_000_000)
  @ValidateNested({ each: true })
  @Type(() => PreviewRevocationDto)
  revocations!: PreviewRevocationDto[];
}
