import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import {
  MQTT_QOS_LEVELS,
  PERMISSION_CONTEXTS,
  PERMISSION_EFFECTS,
  PERMISSION_OPERATIONS,
} from '@gatehouse/contracts';
import { PageQueryDto } from '../shared/paging.dto';

export class ListSessionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'only the sessions of this user id' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  userId?: string;

  @ApiPropertyOptional({ description: 'only the sessions with this MQTT client id' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  clientId?: string;
}

export class LiveSubscriptionResponseDto {
  @ApiProperty() filter!: string;
  @ApiProperty({ enum: MQTT_QOS_LEVELS }) qos!: number;
}

export class LiveSessionResponseDto {
  @ApiProperty() clientId!: string;
  @ApiProperty() userId!: string;
  @ApiProperty() username!: string;
  @ApiProperty() gatewayId!: string;
  @ApiProperty({ description: 'changes on every start of the gateway process' }) gatewayInstance!: string;
  @ApiProperty({ nullable: true, type: String }) remoteAddress!: string | null;
  @ApiProperty({ enum: ['mqtt', 'mqtts', 'ws', 'unknown'] }) listener!: string;
  @ApiProperty({ type: [LiveSubscriptionResponseDto] }) subscriptions!: LiveSubscriptionResponseDto[];
  @ApiProperty({ format: 'date-time' }) connectedAt!: string;
}

/** Which gateways answered a scatter-gather query (ADR 0022): `partial` when any did not. */
export class GatewayCoverageDto {
  @ApiProperty({ type: [String] }) answered!: string[];
  @ApiProperty({
    type: [String],
    description: 'asked (or seen recently) but no answer within GATEWAY_QUERY_TIMEOUT_MS',
  })
  unanswered!: string[];
  @ApiProperty({ description: 'true when a gateway did not answer: the result may miss its sessions' })
  partial!: boolean;
}

export class LiveSessionPageDto {
  @ApiProperty({ type: [LiveSessionResponseDto] }) items!: LiveSessionResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
  @ApiProperty({ type: GatewayCoverageDto }) gateways!: GatewayCoverageDto;
}

export class DisconnectSessionResponseDto {
  @ApiProperty() clientId!: string;
  @ApiProperty({ type: [String], description: 'the gateways that ended a session of this client id' })
  disconnectedOn!: string[];
  @ApiProperty({ type: GatewayCoverageDto }) gateways!: GatewayCoverageDto;
}

export class PreviewRevocationResponseDto {
  @ApiProperty() clientId!: string;
  @ApiProperty() gatewayId!: string;
  @ApiProperty({ enum: ['subscription', 'session'] }) kind!: 'subscription' | 'session';
  @ApiPropertyOptional({ description: 'the subscription filter (kind subscription)' }) filter?: string;
}

export class PreviewPermissionDto {
  @ApiProperty({ enum: PERMISSION_CONTEXTS }) context!: string;
  @ApiProperty() resource!: string;
  @ApiProperty({ enum: PERMISSION_OPERATIONS }) operation!: string;
  @ApiPropertyOptional({ enum: PERMISSION_EFFECTS }) effect?: string;
  @ApiPropertyOptional({ enum: MQTT_QOS_LEVELS }) maxQos?: number;
  @ApiPropertyOptional() retain?: boolean;
}

export class PreviewAffectedUserDto {
  @ApiProperty() userId!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ type: [PreviewPermissionDto] }) gained!: PreviewPermissionDto[];
  @ApiProperty({ type: [PreviewPermissionDto] }) lost!: PreviewPermissionDto[];
  @ApiProperty({ type: [PreviewRevocationResponseDto] }) revokes!: PreviewRevocationResponseDto[];
}

export class ChangePreviewDto {
  @ApiProperty({ type: [PreviewAffectedUserDto] }) users!: PreviewAffectedUserDto[];
  @ApiProperty({ type: GatewayCoverageDto }) gateways!: GatewayCoverageDto;
}
