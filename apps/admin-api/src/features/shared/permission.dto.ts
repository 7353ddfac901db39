import { ApiProperty } from '@nestjs/swagger';
import {
  IsIn,
  IsString,
  MaxLength,
  registerDecorator,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import {
  PERMISSION_CONTEXTS,
  PERMISSION_OPERATIONS,
  type PermissionContextValue,
  type PermissionOperationValue,
} from '@gatehouse/contracts';
import { validatePermissionRule } from '@gatehouse/rbac';

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
}

export class PermissionResponseDto extends PermissionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
}
