import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { VersionField } from '../shared/version';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../shared/paging.dto';
import { PermissionDto, PermissionResponseDto } from '../shared/permission.dto';

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;

export class CreateRoleDto {
  @ApiProperty({ minLength: 1, maxLength: 64, example: 'user-reader' })
  @IsString()
  @Length(1, 64)
  name!: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 1024 })
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

  @ApiPropertyOptional({
    type: [String],
    maxItems: 100,
    description:
      'directory groups (cn, e.g. `operators`, or full DN), compared regardless of case, whose members hold this role (SPEC 2.1a)',
    example: ['operators'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, 1024, { each: true })
  @Matches(NO_CONTROL, { each: true, message: 'externalGroups must not contain control characters' })
  externalGroups?: string[];
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
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ type: [PermissionResponseDto] }) permissions!: PermissionResponseDto[];
  @ApiProperty({ type: [String] }) externalGroups!: string[];
  @ApiProperty() builtIn!: boolean;
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class RolePageDto {
  @ApiProperty({ type: [RoleResponseDto] }) items!: RoleResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
