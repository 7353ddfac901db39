import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { VersionField } from '../shared/version';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../shared/paging.dto';
import { PermissionDto, PermissionResponseDto } from '../shared/permission.dto';

export class CreateRoleDto {
  @ApiProperty({ minLength: 1, maxLength: 64, example: 'user-reader' })
  @IsString()
  @Length(1, 64)
  name!: string;

  @ApiPropertyOptional({ nullable: true, maxLength: 1024 })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  description?: string | null;

  @ApiPropertyOptional({ type: [PermissionDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10000)
  @ValidateNested({ each: true })
  @Type(() => PermissionDto)
  permissions?: PermissionDto[];
}

export class UpdateRoleDto extends PartialType(CreateRoleDto) {
  @VersionField()
  version?: number;
}

export class ListRolesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'exact role name' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  name?: string;
}

export class RoleResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ type: [PermissionResponseDto] }) permissions!: PermissionResponseDto[];
  @ApiProperty() builtIn!: boolean;
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class RolePageDto {
  @ApiProperty({ type: [RoleResponseDto] }) items!: RoleResponseDto[];
  @ApiPropertyOptional({ nullable: true, type: String }) nextCursor!: string | null;
}
