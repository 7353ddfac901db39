import { ApiProperty, ApiPropertyOptional, PartialType, OmitType } from '@nestjs/swagger';
import { VersionField } from '../shared/version';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../shared/paging.dto';
import { PermissionDto, PermissionResponseDto } from '../shared/permission.dto';

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/;

export class GrantTypeDto {
  @ApiProperty({ enum: ['password', 'certificate', 'token'] })
  @IsIn(['password', 'certificate', 'token'])
  method!: 'password' | 'certificate' | 'token';

  @ApiProperty()
  @IsBoolean()
  isRequired!: boolean;
}

export class CreateUserDto {
  @ApiProperty({ minLength: 3, maxLength: 128, pattern: USERNAME_PATTERN.source, example: 'alice' })
  @IsString()
  @Length(3, 128)
  @Matches(USERNAME_PATTERN, {
    message: 'username may contain A-Z a-z 0-9 _ . : @ - and must start with a letter or digit',
  })
  username!: string;

  @ApiPropertyOptional({ description: 'checked against PASSWORD_POLICY; never returned', writeOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  password?: string;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'role ids' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true })
  roles?: string[];

  @ApiPropertyOptional({ type: [PermissionDto], description: 'direct permissions' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10000)
  @ValidateNested({ each: true })
  @Type(() => PermissionDto)
  permissions?: PermissionDto[];

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'prepended to every topic the user publishes (SPEC 1.3)',
    example: 'site1/',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  @Matches(/^[^+#\p{Cc}]*$/u, {
    message: 'mqttPublishPrefix must not contain "+", "#" or control characters',
  })
  mqttPublishPrefix?: string | null;

  @ApiPropertyOptional({ type: [GrantTypeDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(3)
  @ValidateNested({ each: true })
  @Type(() => GrantTypeDto)
  grantTypes?: GrantTypeDto[];

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  enforceMFAEnrollment?: boolean;
}

export class UpdateUserDto extends PartialType(OmitType(CreateUserDto, ['username'] as const)) {
  @ApiPropertyOptional({
    writeOnly: true,
    description:
      'your own current password: needed when you change your own password, grant types or enforceMFAEnrollment (403 otherwise)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  currentPassword?: string;

  @VersionField()
  version?: number;
}

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'case-insensitive substring of the username' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  username?: string;
}

export class CertificateResponseDto {
  @ApiProperty() fingerprint!: string;
  @ApiProperty() serial!: string;
  @ApiProperty() notBefore!: Date;
  @ApiProperty() notAfter!: Date;
  @ApiProperty({ nullable: true, type: Date }) revokedAt!: Date | null;
}

export class UserResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: ['local', 'ldap'] }) identityProvider!: string;
  @ApiProperty({ type: [GrantTypeDto] }) grantTypes!: GrantTypeDto[];
  @ApiProperty({ type: [String], format: 'uuid' }) roles!: string[];
  @ApiProperty({
    type: [String],
    format: 'uuid',
    description:
      "roles conferred by a federated user's directory groups at its last login (SPEC 2.1a); not assignable",
  })
  groupRoles!: string[];
  @ApiProperty({
    type: [String],
    nullable: true,
    description:
      "a federated user's directory groups at its last login (lower case cn and DN); null for a local user",
  })
  externalGroups!: string[] | null;
  @ApiProperty({ type: [PermissionResponseDto] }) permissions!: PermissionResponseDto[];
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ nullable: true, type: String }) mqttPublishPrefix!: string | null;
  @ApiProperty() enforceMFAEnrollment!: boolean;
  @ApiProperty({ type: [CertificateResponseDto] }) certificates!: CertificateResponseDto[];
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) lastLoginAt!: Date | null;
  @ApiProperty({
    description: 'a generated initial password not changed yet: only /api/me routes until it is (ADR 0010)',
  })
  passwordChangeRequired!: boolean;
  @ApiProperty() version!: number;
}

export class UserPageDto {
  @ApiProperty({ type: [UserResponseDto] }) items!: UserResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class EffectivePermissionDto {
  @ApiProperty({ type: PermissionResponseDto }) permission!: PermissionResponseDto;
  @ApiProperty({ description: '"user" for a direct permission, else the id of the role that grants it' })
  via!: string;
  @ApiPropertyOptional() roleName?: string;
}

export class EffectivePermissionsDto {
  @ApiProperty({ type: [EffectivePermissionDto] }) items!: EffectivePermissionDto[];
}

export class TokenResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ nullable: true, type: String }) label!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() expiresAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) revokedAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date }) lastUsedAt!: Date | null;
}

export class TokenListDto {
  @ApiProperty({ type: [TokenResponseDto] }) items!: TokenResponseDto[];
}
