import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, MaxLength } from 'class-validator';
import {
  PERMISSION_CONTEXTS,
  PERMISSION_OPERATIONS,
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
  @ApiProperty({ type: [PermissionHolderDto] }) users!: PermissionHolderDto[];
  @ApiProperty({ type: [PermissionHolderDto] }) roles!: PermissionHolderDto[];
}

export class PermissionViewPageDto {
  @ApiProperty({ type: [PermissionViewItemDto] }) items!: PermissionViewItemDto[];
  @ApiPropertyOptional({ nullable: true, type: String }) nextCursor!: string | null;
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
}

export class GrantedByDto {
  @ApiProperty({ type: PermissionResponseDto }) permission!: PermissionResponseDto;
  @ApiProperty({ description: '"user" or the id of the granting role' }) via!: string;
  @ApiPropertyOptional() roleName?: string;
}

export class AuthorizationCheckResponseDto {
  @ApiProperty() allowed!: boolean;
  @ApiProperty({ type: [GrantedByDto] }) grantedBy!: GrantedByDto[];
}
