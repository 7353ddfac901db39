import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

export class MfaFeatureDto {
  @ApiProperty({ description: 'MFA_ENABLED: whether TOTP MFA is offered and required on this server' })
  enabled!: boolean;
}

export class MfaStatusDto {
  @ApiProperty({ description: 'MFA confirmed: logins need a code' }) enabled!: boolean;
  @ApiProperty({ description: 'an enrolment was started and awaits POST /api/me/mfa/confirm' })
  pending!: boolean;
  @ApiProperty() backupCodesRemaining!: number;
}

/** Shown once, to its owner: what the authenticator app needs. */
export class MfaEnrolmentDto {
  @ApiProperty({ description: 'the TOTP secret, base32 (RFC 6238: SHA-1, 6 digits, 30 s)' }) secret!: string;
  @ApiProperty({ description: 'otpauth://totp/... provisioning URI (for a QR code)' }) otpauthUri!: string;
}

export class MfaConfirmDto {
  @ApiProperty({ description: 'the current 6-digit code of the new secret', writeOnly: true })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'otp must be 6 digits' })
  otp!: string;
}

/** A second factor proving the caller still holds it: a TOTP code or a backup code. */
export class MfaCodeDto {
  @ApiPropertyOptional({ description: 'a 6-digit TOTP code', writeOnly: true })
  @IsOptional()
  @IsString()
  @Length(1, 16)
  otp?: string;
  @ApiPropertyOptional({ description: 'instead of otp: an unused backup code', writeOnly: true })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  backupCode?: string;
}

/** Shown once: 10 single-use codes; only their hashes are stored. */
export class MfaBackupCodesDto {
  @ApiProperty({ type: [String], description: '10 single-use codes, each accepted once as backupCode' })
  backupCodes!: string[];
}
