import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
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
import { MAX_VERSION } from '../shared/version';

export class RollbackRoleDto {
  @ApiProperty({
    description: 'the version of the role history whose content to restore (a new version is made)',
    minimum: 1,
    maximum: MAX_VERSION,
    type: 'integer',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_VERSION)
  version!: number;

  @ApiPropertyOptional({
    description:
      "the role's version (its ETag) this rollback is based on: 409 when the role moved on; or send If-Match (412 when stale)",
    minimum: 1,
    maximum: MAX_VERSION,
    type: 'integer',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_VERSION)
  expectedVersion?: number;
}

/** A permission as a version records it (no id: a version is content, not rows). */
export class VersionPermissionDto {
  @ApiProperty({ enum: PERMISSION_CONTEXTS }) context!: PermissionContextValue;
  @ApiProperty() resource!: string;
  @ApiProperty({ enum: PERMISSION_OPERATIONS }) operation!: PermissionOperationValue;
  @ApiProperty({ enum: PERMISSION_EFFECTS }) effect!: PermissionEffectValue;
  @ApiPropertyOptional({ enum: MQTT_QOS_LEVELS }) maxQos?: MqttQosValue;
  @ApiPropertyOptional() retain?: boolean;
}

class NameChangeDto {
  @ApiProperty({ nullable: true, type: String }) before!: string | null;
  @ApiProperty() after!: string;
}

class DescriptionChangeDto {
  @ApiProperty({ nullable: true, type: String }) before!: string | null;
  @ApiProperty({ nullable: true, type: String }) after!: string | null;
}

class PermissionsChangeDto {
  @ApiProperty({ type: [VersionPermissionDto] }) added!: VersionPermissionDto[];
  @ApiProperty({ type: [VersionPermissionDto] }) removed!: VersionPermissionDto[];
}

/** What changed from the previous version: only the fields that did. */
export class RoleVersionChangesDto {
  @ApiPropertyOptional({ type: NameChangeDto }) name?: NameChangeDto;
  @ApiPropertyOptional({ type: DescriptionChangeDto }) description?: DescriptionChangeDto;
  @ApiPropertyOptional({ type: PermissionsChangeDto }) permissions?: PermissionsChangeDto;
}

class VersionActorDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
}

export class RoleVersionResponseDto {
  @ApiProperty({ format: 'uuid' }) roleId!: string;
  @ApiProperty({ description: '1, 2, … per role' }) version!: number;
  @ApiProperty({ enum: ['create', 'update', 'rollback', 'backfill'] }) kind!: string;
  @ApiProperty({ nullable: true, type: Number, description: 'for a rollback: the version restored' })
  rolledBackTo!: number | null;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ type: [VersionPermissionDto] }) permissions!: VersionPermissionDto[];
  @ApiProperty({
    type: RoleVersionChangesDto,
    nullable: true,
    description: 'the difference to the previous version (null: history started here, by migration)',
  })
  changes!: RoleVersionChangesDto | null;
  @ApiProperty({ type: VersionActorDto, nullable: true, description: 'who saved it (null: unknown)' })
  actor!: VersionActorDto | null;
  @ApiProperty() createdAt!: Date;
}

export class RoleVersionPageDto {
  @ApiProperty({ type: [RoleVersionResponseDto] }) items!: RoleVersionResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
