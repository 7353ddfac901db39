import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  MAX_UNLOCK_MS,
  REGISTRATION_STATES,
  type RegistrationSource,
  type RegistrationState,
} from '@gatehouse/client-registry';
import { PageQueryDto } from '../shared/paging.dto';
import { PermissionDto } from '../shared/permission.dto';
import { UserResponseDto, USERNAME_PATTERN } from '../users/user.dto';

/** A PEM certificate request is a few hundred bytes to a few KiB; this bounds parsing work. */
export const MAX_CSR_LENGTH = 16_384;

export class RegistryStateDto {
  @ApiProperty({ enum: ['locked', 'unlocked'] }) state!: 'locked' | 'unlocked';
  @ApiProperty({ nullable: true, type: Date, description: 'when the registry locks again' })
  unlockedUntil!: Date | null;
}

export class UnlockRegistryDto {
  @ApiPropertyOptional({ minimum: 1000, maximum: MAX_UNLOCK_MS, default: 300000 })
  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(MAX_UNLOCK_MS)
  durationMs?: number;
}

export class RegisterDto {
  @ApiProperty({ minLength: 3, maxLength: 128, pattern: USERNAME_PATTERN.source, example: 'press-17' })
  @IsString()
  @Length(3, 128)
  @Matches(USERNAME_PATTERN, {
    message: 'username may contain A-Z a-z 0-9 _ . : @ - and must start with a letter or digit',
  })
  username!: string;

  @ApiPropertyOptional({
    description: 'the password the device will use (checked against PASSWORD_POLICY; stored hashed)',
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  password?: string;

  @ApiPropertyOptional({
    description: 'PEM PKCS#10 certificate request, CN = username; the private key stays on the device',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CSR_LENGTH)
  csr?: string;

  @ApiPropertyOptional({ description: 'free text shown to the approver (where the device is, what it is)' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  context?: string;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: 'roles the device asks for; shown to the approver, never granted automatically',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  requestedRoles?: string[];

  @ApiPropertyOptional({
    type: [PermissionDto],
    description: 'permissions the device asks for; shown to the approver, never granted automatically',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PermissionDto)
  requestedPermissions?: PermissionDto[];
}

export class RegisterPendingDto {
  @ApiProperty({ format: 'uuid' }) requestId!: string;
  @ApiProperty({
    example: '3FA2C9',
    description: '6 hex characters derived from the credential; compare with the approver',
  })
  pairingId!: string;
  @ApiProperty({ enum: ['pending'] }) state!: 'pending';
}

export class RegisterGrantedDto {
  @ApiProperty() username!: string;
  @ApiPropertyOptional({
    description: 'PEM client certificate signed by the Gatehouse CA (when the request carried a CSR)',
  })
  certificate?: string;
  @ApiPropertyOptional({ description: 'PEM certificate of the Gatehouse CA' }) caCertificate?: string;
}

export class ListRequestsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: REGISTRATION_STATES })
  @IsOptional()
  @IsIn(REGISTRATION_STATES)
  state?: RegistrationState;
}

export class RegistrationRequestDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: REGISTRATION_STATES }) state!: RegistrationState;
  @ApiProperty({ enum: ['rest', 'mqtt'] }) source!: RegistrationSource;
  @ApiProperty({ example: '3FA2C9' }) pairingId!: string;
  @ApiProperty() hasPassword!: boolean;
  @ApiProperty() hasCsr!: boolean;
  @ApiProperty({ nullable: true, type: String }) context!: string | null;
  @ApiProperty({ type: [String], format: 'uuid' }) requestedRoles!: string[];
  @ApiProperty({ type: [PermissionDto] }) requestedPermissions!: PermissionDto[];
  @ApiProperty({ nullable: true, type: String, description: 'MQTT client id (MQTT flow)' })
  clientId!: string | null;
  @ApiProperty({ nullable: true, type: String }) remoteAddress!: string | null;
  @ApiProperty({ description: 'how often the device asked' }) attempts!: number;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() lastSeenAt!: Date;
  @ApiProperty() expiresAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) decidedAt!: Date | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) decidedBy!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) userId!: string | null;
  @ApiProperty({ nullable: true, type: String }) certificateFingerprint!: string | null;
}

export class RegistrationRequestPageDto {
  @ApiProperty({ type: [RegistrationRequestDto] }) items!: RegistrationRequestDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class GrantRequestDto {
  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: 'roles for the new user (you must hold their permissions)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true })
  roles?: string[];

  @ApiPropertyOptional({
    type: [PermissionDto],
    description: 'direct permissions for the new user (you must hold them)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10000)
  @ValidateNested({ each: true })
  @Type(() => PermissionDto)
  permissions?: PermissionDto[];
}

export class GrantResultDto {
  @ApiProperty({ type: RegistrationRequestDto }) request!: RegistrationRequestDto;
  @ApiProperty({ type: UserResponseDto }) user!: UserResponseDto;
}
