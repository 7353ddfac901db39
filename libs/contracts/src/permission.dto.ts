import { IsBoolean, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export const PERMISSION_CONTEXTS = ['mqtt', 'http'] as const;
export const PERMISSION_OPERATIONS = ['read', 'write', 'readWrite'] as const;
export const PERMISSION_EFFECTS = ['allow', 'deny'] as const;
export const MQTT_QOS_LEVELS = [0, 1, 2] as const;
export type PermissionContextValue = (typeof PERMISSION_CONTEXTS)[number];
export type PermissionOperationValue = (typeof PERMISSION_OPERATIONS)[number];
export type PermissionEffectValue = (typeof PERMISSION_EFFECTS)[number];
export type MqttQosValue = (typeof MQTT_QOS_LEVELS)[number];

/** A permission as it travels on the transport (no id, no ORM entity). SPEC 1.1. */
export class PermissionRuleDto {
  @IsIn(PERMISSION_CONTEXTS)
  context!: PermissionContextValue;

  @IsString()
  @MinLength(1)
  @MaxLength(65535)
  resource!: string;

  @IsIn(PERMISSION_OPERATIONS)
  operation!: PermissionOperationValue;

  /** `allow` when absent (SPEC 1.4.6). */
  @IsOptional()
  @IsIn(PERMISSION_EFFECTS)
  effect?: PermissionEffectValue;

  /** mqtt allow with write only (SPEC 1.4.7). */
  @IsOptional()
  @IsIn(MQTT_QOS_LEVELS)
  maxQos?: MqttQosValue;

  /** mqtt allow with write only: `false` refuses retained publishes (SPEC 1.4.7). */
  @IsOptional()
  @IsBoolean()
  retain?: boolean;
}

/** The fields that make two permissions the same one (SPEC 1.1), whatever else they carry. */
export interface PermissionIdentity {
  readonly context: string;
  readonly resource: string;
  readonly operation: string;
  readonly effect?: string | null;
  readonly maxQos?: number | null;
  readonly retain?: boolean | null;
}

/**
 * A string equal for two permissions iff they are the same permission: context, resource, operation,
 * effect (absent = `allow`), `maxQos` and `retain` (absent = no limit). For de-duplication and diffs.
 */
export function permissionKey(p: PermissionIdentity): string {
  return `${p.context}\u0000${p.operation}\u0000${p.effect ?? 'allow'}\u0000${p.maxQos ?? ''}\u0000${p.retain ?? ''}\u0000${p.resource}`;
}

/**
 * The optional fields of a permission as a response or message carries them: `effect` always (so a
 * deny cannot be mistaken for an allow), `maxQos` and `retain` only when set (stored `null` = absent).
 */
export function permissionExtras(p: PermissionIdentity): {
  effect: PermissionEffectValue;
  maxQos?: MqttQosValue;
  retain?: boolean;
} {
  return {
    effect: p.effect === 'deny' ? 'deny' : 'allow',
    ...(p.maxQos !== undefined && p.maxQos !== null ? { maxQos: p.maxQos as MqttQosValue } : {}),
    ...(p.retain !== undefined && p.retain !== null ? { retain: p.retain } : {}),
  };
}
