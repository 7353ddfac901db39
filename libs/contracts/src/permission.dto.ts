import { IsIn, IsString, MaxLength, MinLength } from 'class-validator';

export const PERMISSION_CONTEXTS = ['mqtt', 'http'] as const;
export const PERMISSION_OPERATIONS = ['read', 'write', 'readWrite'] as const;
export type PermissionContextValue = (typeof PERMISSION_CONTEXTS)[number];
export type PermissionOperationValue = (typeof PERMISSION_OPERATIONS)[number];

/** A permission as it travels on the transport (no id, no ORM entity). */
export class PermissionRuleDto {
  @IsIn(PERMISSION_CONTEXTS)
  context!: PermissionContextValue;

  @IsString()
  @MinLength(1)
  @MaxLength(65535)
  resource!: string;

  @IsIn(PERMISSION_OPERATIONS)
  operation!: PermissionOperationValue;
}
