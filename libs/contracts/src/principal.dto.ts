import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Min,
  ValidateNested,
} from 'class-validator';
import { GrantTypeMessageDto } from './grant-types';
import { PermissionRuleDto } from './permission.dto';

/** Everything a gateway needs to authorize a session's packets without further I/O. */
export class PrincipalDto {
  @IsUUID()
  userId!: string;

  @IsString()
  username!: string;

  @IsBoolean()
  enabled!: boolean;

  /** Effective permissions: direct ∪ every assigned role's (SPEC 1.3). */
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PermissionRuleDto)
  permissions!: PermissionRuleDto[];

  @IsOptional()
  @IsString()
  mqttPublishPrefix?: string | null;

  /** Monotonic per user; a gateway ignores an update older than what it holds. */
  @IsInt()
  @Min(0)
  permissionsVersion!: number;

  /** The user's grant types (ADR 0011): a gateway re-checks its sessions against them. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @ValidateNested({ each: true })
  @Type(() => GrantTypeMessageDto)
  grantTypes?: GrantTypeMessageDto[];
}
