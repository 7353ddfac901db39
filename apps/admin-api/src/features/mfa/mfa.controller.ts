import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthSession, MfaService } from '@gatehouse/identity';
import { Audited } from '../../http/audited.decorator';
import { HandsOut, HandsOutNothing } from '../../http/escalation.decorator';
import { ApiProblems } from '../../http/api-problems.decorator';
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
/** What every route of one's own second factor can answer: MFA off on this server, or a key that cannot open the secret. */
const OWN_MFA_PROBLEMS = ['AUTH.MFA_DISABLED', 'AUTH.MFA_KEY_MISMATCH'] as const;
/** A route that checks a code: a wrong or used one (403), and 5 wrong ones (429, see Retry-After). */
const CODE_PROBLEMS = [
  'VALIDATION',
  'HTTP.MALFORMED_JSON',
  'AUTH.MFA_CODE_REJECTED',
  'AUTH.MFA_BANNED',
] as const;

/** TOTP MFA (SPEC 2.1, ADR 0020): the feature flag, one's own enrolment, an administrator's reset. */
@ApiTags('mfa')
@Controller()
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @Get('auth/mfa')
  @Public()
  @ApiOperation({ summary: 'Whether TOTP MFA is offered on this server' })
  @ApiOkResponse({ type: MfaFeatureDto })
  feature(): MfaFeatureDto {
    return { enabled: this.mfa.enabled };
  }

  @Get('me/mfa')
  @SelfService()
  @ReachableBeforeMfaEnrollment()
  @ApiOperation({ summary: "The caller's MFA state" })
  @ApiOkResponse({ type: MfaStatusDto })
  @ApiProblems('AUTH.MFA_DISABLED')
  status(@CurrentSession() s: AuthSession): Promise<MfaStatusDto> {
    return this.mfa.status(s.userId);
  }

  /** Starts (or restarts) an enrolment: the secret is shown once and is not active until confirmed. */
  @Post('me/mfa')
  @SelfService()
  @ReachableBeforeMfaEnrollment()
  @HandsOutNothing(OWN_MFA)
  @HttpCode(200)
  @ApiOperation({ summary: 'Start (or restart) an MFA enrolment: the new secret, shown once' })
  @ApiOkResponse({ type: MfaEnrolmentDto })
  @ApiProblems('AUTH.MFA_DISABLED', 'AUTH.MFA_ALREADY_ENABLED')
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
  @ApiOperation({ summary: 'Confirm the enrolment with a code: MFA on, backup codes shown once' })
  @ApiOkResponse({ type: MfaBackupCodesDto })
  @ApiProblems(...OWN_MFA_PROBLEMS, ...CODE_PROBLEMS, 'AUTH.MFA_NOT_PENDING')
  async confirm(@CurrentSession() s: AuthSession, @Body() dto: MfaConfirmDto): Promise<MfaBackupCodesDto> {
    return { backupCodes: await this.mfa.confirm(s, dto.otp) };
  }

  @Delete('me/mfa')
  @SelfService()
  @Audited({ action: 'mfa.disable', target: 'user', targetIsCaller: true })
  @ReachableBeforeMfaEnrollment()
  @HandsOutNothing(OWN_MFA)
  @HttpCode(204)
  @ApiOperation({ summary: "Turn the caller's MFA off (needs a code)" })
  @ApiNoContentResponse({ description: 'MFA off; the user’s other tokens are revoked' })
  @ApiProblems(...OWN_MFA_PROBLEMS, ...CODE_PROBLEMS, 'AUTH.MFA_CODE_MISSING', 'AUTH.MFA_NOT_ENABLED')
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
  @ApiOperation({ summary: 'Replace the backup codes (needs a code); the new ones are shown once' })
  @ApiOkResponse({ type: MfaBackupCodesDto })
  @ApiProblems(...OWN_MFA_PROBLEMS, ...CODE_PROBLEMS, 'AUTH.MFA_CODE_MISSING', 'AUTH.MFA_NOT_ENABLED')
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
  @ApiOperation({ summary: "Reset another user's MFA (lost device); all its tokens are revoked" })
  @ApiNoContentResponse({ description: 'MFA removed' })
  @ApiProblems('HTTP.400', 'AUTH.MFA_SELF_RESET', 'IDENTITY.USER_NOT_FOUND')
  async reset(@CurrentSession() s: AuthSession, @Param('id', uuid) id: string): Promise<void> {
    await this.mfa.reset(s.userId, id);
  }
}
