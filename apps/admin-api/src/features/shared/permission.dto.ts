import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  registerDecorator,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import {
  MQTT_QOS_LEVELS,
  PERMISSION_CONTEXTS,
  PERMISSION_EFFECTS,
  PERMISSION_OPERATIONS,
  type MqttQosValue,
  type PermissionContextValue,
  type PermissionEffectValue,
  type PermissionOperationValue,
} from '@gatehouse/contracts';
import { PATTERN_ERRORS, validatePermissionRule } from '@gatehouse/rbac';

/** Validates `resource` against the pattern rules of its context (SPEC 1.1), naming the broken rule. */
function IsValidResource(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isValidResource',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          const obj = args.object as PermissionDto;
          if (
            typeof value !== 'string' ||
            !PERMISSION_CONTEXTS.includes(obj.context) ||
            !PERMISSION_OPERATIONS.includes(obj.operation)
          ) {
            return true; // the other validators report these
          }
          try {
            validatePermissionRule({ context: obj.context, resource: value, operation: obj.operation });
            return true;
          } catch {
            return false;
          }
        },
        defaultMessage(args: ValidationArguments) {
          const obj = args.object as PermissionDto;
          try {
            validatePermissionRule({
              context: obj.context,
              resource: String(args.value),
              operation: obj.operation,
            });
            return 'resource is invalid';
          } catch (err) {
            return `resource "${String(args.value)}" is invalid: ${(err as Error).message}`;
          }
        },
      },
    });
}

/**
 * `maxQos` / `retain` only on an mqtt allow with write or readWrite (SPEC 1.1, 1.4.7): a 400 naming the
 * rule otherwise. (The values themselves are checked by their own validators.)
 */
function IsAllowedLimit(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isAllowedLimit',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          if (value === undefined) return true;
          const obj = args.object as PermissionDto;
          return obj.context === 'mqtt' && obj.effect !== 'deny' && obj.operation !== 'read';
        },
        defaultMessage(args: ValidationArguments) {
          return `${args.property}: ${PATTERN_ERRORS.limitsPlacement}`;
        },
      },
    });
}

export class PermissionDto {
  @ApiProperty({ enum: PERMISSION_CONTEXTS })
  @IsIn(PERMISSION_CONTEXTS)
  context!: PermissionContextValue;

  @ApiProperty({
    description: 'MQTT topic filter, or HTTP path starting with "/"; "+" one level, "#" the rest',
    example: 'sensors/+/temp',
  })
  @IsString()
  @MaxLength(65535)
  @IsValidResource()
  resource!: string;

  @ApiProperty({ enum: PERMISSION_OPERATIONS })
  @IsIn(PERMISSION_OPERATIONS)
  operation!: PermissionOperationValue;

  @ApiPropertyOptional({
    enum: PERMISSION_EFFECTS,
    default: 'allow',
    description: 'deny beats every allow (SPEC 1.4.6)',
  })
  @IsOptional()
  @IsIn(PERMISSION_EFFECTS)
  effect?: PermissionEffectValue;

  @ApiPropertyOptional({
    enum: MQTT_QOS_LEVELS,
    description: 'mqtt allow with write only: the highest QoS it permits to publish (SPEC 1.4.7)',
  })
  @IsOptional()
  @IsIn(MQTT_QOS_LEVELS)
  @IsAllowedLimit()
  maxQos?: MqttQosValue;

  @ApiPropertyOptional({
    description: 'mqtt allow with write only: false refuses retained publishes (SPEC 1.4.7)',
  })
  @IsOptional()
  @IsBoolean()
  @IsAllowedLimit()
  retain?: boolean;
}

/** A stored permission as answered: `effect` always, the limits when set. */
export class PermissionResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: PERMISSION_CONTEXTS }) context!: PermissionContextValue;
  @ApiProperty({ description: 'MQTT topic filter, or HTTP path starting with "/"' }) resource!: string;
  @ApiProperty({ enum: PERMISSION_OPERATIONS }) operation!: PermissionOperationValue;
  @ApiProperty({ enum: PERMISSION_EFFECTS, description: 'deny beats every allow (SPEC 1.4.6)' })
  effect!: PermissionEffectValue;
  @ApiPropertyOptional({ enum: MQTT_QOS_LEVELS, description: 'highest QoS admitted (SPEC 1.4.7)' })
  maxQos?: MqttQosValue;
  @ApiPropertyOptional({ description: 'false: retained publishes refused (SPEC 1.4.7)' })
  retain?: boolean;
}
