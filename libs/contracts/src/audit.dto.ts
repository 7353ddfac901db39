import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

/** The refusals a gateway reports (SPEC 6 action names). */
export const MQTT_REFUSAL_ACTIONS = [
  'mqtt.connect.refused',
  'mqtt.publish.denied',
  'mqtt.subscribe.denied',
] as const;
export type MqttRefusalAction = (typeof MQTT_REFUSAL_ACTIONS)[number];

/** Most aggregated refusals in one batch message (the gateway's per-flush cap is below it). */
export const MAX_REFUSALS_PER_BATCH = 1000;

/**
 * Refusals of one kind, for one (client id, username, topic) in one minute, counted on the gateway.
 * `clientId: null` is the overflow entry: the refusals of every key past the gateway's per-flush cap.
 */
export class MqttRefusalDto {
  @IsIn(MQTT_REFUSAL_ACTIONS)
  action!: MqttRefusalAction;

  /** The start of the minute (ISO 8601). */
  @IsISO8601({ strict: true })
  minute!: string;

  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(65535)
  clientId!: string | null;

  /** The session's user (PUBLISH, SUBSCRIBE) or the username a refused CONNECT gave. */
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(1024)
  username!: string | null;

  /** Known only for PUBLISH and SUBSCRIBE, from an authenticated session. */
  @ValidateIf((_, v) => v !== null)
  @IsUUID()
  userId!: string | null;

  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(65535)
  topic!: string | null;

  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(64)
  sourceAddress!: string | null;

  @IsInt()
  @Min(1)
  @Max(2_000_000_000)
  count!: number;
}

/** `AuditPatterns.RECORD_MQTT_REFUSALS`: a gateway's batch of aggregated refusals. */
export class MqttRefusalBatchDto {
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,128}$/, {
    message: 'gatewayId must be 1..128 characters of A-Z a-z 0-9 _ . : -',
  })
  gatewayId!: string;

  @IsArray()
  @ArrayMaxSize(MAX_REFUSALS_PER_BATCH)
  @ValidateNested({ each: true })
  @Type(() => MqttRefusalDto)
  refusals!: MqttRefusalDto[];
}
