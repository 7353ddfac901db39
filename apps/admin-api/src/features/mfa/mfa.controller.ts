import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { type AuthSession, MfaService } from '@gatehouse/identity';
import { Audited } from '../../http/audited.decorator';
import { HandsOut, HandsOutNothing } from '../../http/escalation.decorator';
import { ProblemDetailsDto } from '../../http/problem-details.dto';
import {
  CurrentSession,
  HttpPermission,
  Public,
  ReachableBeforeMfaEnrollment,
  SelfService,
} from '../../http/route-access.decorator';
import {
  MfaBackupCodesDto,
  MfaCodeDto,
  MfaConfirmDto,
  MfaEnrolmentDto,
  MfaFeatureDto,
  MfaStatusDto,
} from './mfa.dto';

const uuid = new ParseUUIDPipe({ version: undefined });
const OWN_MFA = 'changes only the caller’s own second factor';
const wrongCode = () =>
  ApiForbiddenResponse({
    description: 'AUTH.MFA_CODE_REJECTED: wrong or already used code',
    type: ProblemDetailsDto,
  });
const banned = () =>
  ApiTooManyRequestsResponse({
    description: 'AUTH.MFA_BANNED: 5 wrong codes, see Retry-After',
    type: ProblemDetailsDto,
  });

/** TOTP MFA (SPEC 2.1, ADR 0020): the feature flag, one's own enrolment, an administrator's reset. */
@ApiTags('mfa')
@Controller()
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @Get('auth/mfa')
  @Public()
  feature(): MfaFeatureDto {
    return { enabled: this.mfa.enabled };
  }

  @Get('me/mfa')
  @SelfService()
  @ReachableBeforeMfaEnrollment()
  status(@CurrentSession() s: AuthSession): Promise<MfaStatusDto> {
    return this.mfa.status(s.userId);
  }

  /** Starts (or restarts) an enrolment: the secret is shown once and is not active until confirmed. */
  @Post('me/mfa')
  @SelfService()
  @ReachableBeforeMfaEnrollment()
  @HandsOutNothing(OWN_MFA)
  @HttpCode(200)
  @ApiOkResponse({ type: MfaEnrolmentDto })
  @ApiConflictResponse({ description: 'AUTH.MFA_ALREADY_ENABLED', type: ProblemDetailsDto })
  async start(@CurrentSession() s: AuthSession): Promise<MfaEnrolmentDto> {
    const e = await this.mfa.start(s.userId, s.username);
    return { secret: e.secret, otpauthUri: e.otpauthUri };
  }

  /** MFA becomes active; the user's other tokens are revoked (they were issued without the second factor). */
  @Post('me/mfa/confirm')
  @SelfService()
  @Audited({ action: 'mfa.enroll', target: 'user', targetIsCaller: true })
  @ReachableBeforeMfaEnrollment()
  @HandsOutNothing(OWN_MFA)
  @HttpCode(200)
  @ApiOkResponse({ type: MfaBackupCodesDto })
  @ApiConflictResponse({ description: 'AUTH.MFA_NOT_PENDING', type: ProblemDetailsDto })
  @wrongCode()
  @banned()
  async confirm(@CurrentSession() s: AuthSession, @Body() dto: MfaConfirmDto): Promise<MfaBackupCodesDto> {
    return { backupCodes: await this.mfa.confirm(s, dto.otp) };
  }

  @Delete('me/mfa')
  @SelfService()
  @Audited({ action: 'mfa.disable', target: 'user', targetIsCaller: true })
  @ReachableBeforeMfaEnrollment()
  @HandsOutNothing(OWN_MFA)
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'MFA off; the user’s other tokens are revoked' })
  @ApiConflictResponse({ description: 'AUTH.MFA_NOT_ENABLED', type: ProblemDetailsDto })
  @wrongCode()
  @banned()
  async disable(@CurrentSession() s: AuthSession, @Body() dto: MfaCodeDto): Promise<void> {
    await this.mfa.disable(s, { otp: dto.otp, backupCode: dto.backupCode });
  }

  @Post('me/mfa/backup-codes')
  @SelfService()
  @Audited({
    action: 'user.update',
    target: 'user',
    targetIsCaller: true,
    diff: true,
    secrets: ['mfaBackupCodes'],
  })
  @ReachableBeforeMfaEnrollment()
  @HandsOutNothing(OWN_MFA)
  @HttpCode(200)
  @ApiOkResponse({ type: MfaBackupCodesDto })
  @ApiConflictResponse({ description: 'AUTH.MFA_NOT_ENABLED', type: ProblemDetailsDto })
  @wrongCode()
  @banned()
  async regenerate(@CurrentSession() s: AuthSession, @Body() dto: MfaCodeDto): Promise<MfaBackupCodesDto> {
    return {
      backupCodes: await this.mfa.regenerateBackupCodes(s, { otp: dto.otp, backupCode: dto.backupCode }),
    };
  }

  /**
   * An administrator resets another user's MFA (lost phone, ASVS 6.4.4): enrolment and backup codes
   * are removed and every token of the user revoked. Acting on another user's credentials: the caller
   * must hold every permission that user holds (ADR 0004, 0014).
   */
  @Delete('users/:id/mfa')
  @HttpPermission()
  @Audited({ action: 'mfa.reset', target: 'user', idParam: 'id' })
  @HandsOut({ to: 'user', handsOut: ['credentials-of-target-user'] })
  @HttpCode(204)
  @ApiForbiddenResponse({
    description: 'AUTH.MFA_SELF_RESET: your own MFA goes off with DELETE /api/me/mfa',
    type: ProblemDetailsDto,
  })
  async reset(@CurrentSession() s: AuthSession, @Param('id', uuid) id: string): Promise<void> {
    await this.mfa.reset(s.userId, id);
  }
}
