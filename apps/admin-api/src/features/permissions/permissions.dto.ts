import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, IsUUID, Length, MaxLength } from 'class-validator';
import {
  MQTT_QOS_LEVELS,
  PERMISSION_CONTEXTS,
  PERMISSION_EFFECTS,
  PERMISSION_OPERATIONS,
  type PermissionEffectValue,
  type PermissionContextValue,
  type PermissionOperationValue,
} from '@gatehouse/contracts';
import { PageQueryDto } from '../shared/paging.dto';
import { PermissionResponseDto } from '../shared/permission.dto';

export class PermissionHolderDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
}

export class PermissionViewItemDto {
  @ApiProperty({ enum: PERMISSION_CONTEXTS }) context!: string;
  @ApiProperty() resource!: string;
  @ApiProperty({ enum: PERMISSION_OPERATIONS }) operation!: string;
  @ApiProperty({ enum: PERMISSION_EFFECTS }) effect!: PermissionEffectValue;
  @ApiPropertyOptional({ enum: MQTT_QOS_LEVELS }) maxQos?: 0 | 1 | 2;
  @ApiPropertyOptional() retain?: boolean;
  @ApiProperty({ type: [PermissionHolderDto] }) users!: PermissionHolderDto[];
  @ApiProperty({ type: [PermissionHolderDto] }) roles!: PermissionHolderDto[];
}

export class PermissionViewPageDto {
  @ApiProperty({ type: [PermissionViewItemDto] }) items!: PermissionViewItemDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class PermissionViewQueryDto extends PageQueryDto {}

export class AuthorizationCheckDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() userId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 128) username?: string;
  @ApiProperty({ enum: PERMISSION_CONTEXTS }) @IsIn(PERMISSION_CONTEXTS) context!: PermissionContextValue;
  @ApiProperty({ description: 'topic, topic filter (mqtt read) or HTTP path' })
  @IsString()
  @Length(1, 65535)
  resource!: string;
  @ApiProperty({ enum: PERMISSION_OPERATIONS })
  @IsIn(PERMISSION_OPERATIONS)
  operation!: PermissionOperationValue;
  @ApiPropertyOptional({ description: 'substituted for ${clientId}' })
  @IsOptional()
  @IsString()
  @MaxLength(65535)
  clientId?: string;
  @ApiPropertyOptional({
    enum: MQTT_QOS_LEVELS,
    description: 'mqtt write: the QoS of the PUBLISH (default 0); only allows whose maxQos admits it count',
  })
  @IsOptional()
  @IsIn(MQTT_QOS_LEVELS)
  qos?: 0 | 1 | 2;
  @ApiPropertyOptional({
    description:
      'mqtt write: the retain flag of the PUBLISH (default false); allows with retain false do not admit a retained one',
  })
  @IsOptional()
  @IsBoolean()
  retain?: boolean;
}

export class GrantedByDto {
  @ApiProperty({ type: PermissionResponseDto }) permission!: PermissionResponseDto;
  @ApiProperty({ description: '"user" or the id of the granting role' }) via!: string;
  @ApiPropertyOptional() roleName?: string;
}

export class AuthorizationCheckResponseDto {
  @ApiProperty() allowed!: boolean;
  @ApiProperty({ type: [GrantedByDto], description: 'the allows that match (or cover) the resource' })
  grantedBy!: GrantedByDto[];
  @ApiProperty({
    type: [GrantedByDto],
    description: 'the denies that refuse it (SPEC 1.4.6); a deny beats every allow',
  })
  deniedBy!: GrantedByDto[];
}
