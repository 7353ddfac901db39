import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNumber, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { EffectivePermissionDto, UserResponseDto } from '../users/user.dto';

export class LoginDto {
  @ApiProperty({ example: 'admin' }) @IsString() @Length(1, 128) username!: string;
  @ApiProperty({ writeOnly: true }) @IsString() @Length(1, 1024) password!: string;
  @ApiPropertyOptional({ description: 'the 6-digit TOTP code of a user with MFA', writeOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  otp?: string;
  @ApiPropertyOptional({
    description: 'instead of otp: one of the MFA backup codes (each works once)',
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  backupCode?: string;
  @ApiPropertyOptional({
    minimum: 0.01,
    maximum: 87600,
    description:
      'token lifetime in hours; default 12 h, or 365 days with a label; at most LOGIN_TOKEN_MAX_HOURS (default 12) without a label and TOKEN_MAX_HOURS (default 8760) with one (400 above)',
  })
  @IsOptional()
  @IsNumber()
  @Min(0.01)
  @Max(87600)
  expireTimeInHours?: number;
  @ApiPropertyOptional({ description: 'makes a long-lived API token, listed under the user and revocable' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  label?: string;
}

export class LoginResponseDto {
  @ApiProperty() token!: string;
  @ApiProperty() expiresAt!: Date;
  @ApiProperty({ format: 'uuid' }) tokenId!: string;
  @ApiPropertyOptional({
    description:
      'true: the user must enrol in MFA first; this token reaches only /api/me and /api/me/mfa* until POST /api/me/mfa/confirm',
  })
  mfaEnrollmentRequired?: boolean;
}

export class ChangePasswordDto {
  @ApiProperty({ writeOnly: true }) @IsString() @Length(1, 1024) currentPassword!: string;
  @ApiProperty({ writeOnly: true }) @IsString() @Length(1, 1024) newPassword!: string;
}

export class PasswordPolicyDto {
  @ApiProperty() min!: number;
  @ApiProperty() max!: number;
  @ApiProperty() lower!: number;
  @ApiProperty() upper!: number;
  @ApiProperty() numeric!: number;
  @ApiProperty() symbol!: number;
}

export class MeResponseDto extends UserResponseDto {
  @ApiProperty({ type: [EffectivePermissionDto] }) effectivePermissions!: EffectivePermissionDto[];
}
