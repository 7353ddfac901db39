import { Body, Controller, Get, HttpCode, Post, Put, Req, UseGuards } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import {
  AuthService,
  type AuthSession,
  LoginService,
  PasswordPolicyService,
  PrincipalService,
  UserService,
  type VerifiedLogin,
} from '@gatehouse/identity';
import { ApiProblems, BODY_PROBLEMS } from '../../http/api-problems.decorator';
import {
  CurrentSession,
  Public,
  ReachableBeforeMfaEnrollment,
  SelfService,
} from '../../http/route-access.decorator';
import { toEffectivePermission, toUserResponse } from '../users/user.mapper';
import { ChangePasswordDto, LoginDto, LoginResponseDto, MeResponseDto, PasswordPolicyDto } from './auth.dto';
import { Audited } from '../../http/audited.decorator';
import { LoginGuard } from './login.guard';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly logins: LoginService,
    private readonly users: UserService,
    private readonly principals: PrincipalService,
    private readonly policy: PasswordPolicyService,
  ) {}

  @Post('login')
  @Public()
  @UseGuards(LoginGuard) // the Passport strategies local, then ldap (ADR 0026)
  @Audited({ action: 'auth.login', labelledAction: 'token.create', target: 'user' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in: a bearer token for a username and password',
    description:
      'IDENTITY.INVALID_CREDENTIALS: unknown user or wrong password (same answer); AUTH.MFA_REQUIRED: the user has MFA and no otp or backupCode was sent; AUTH.MFA_INVALID_CODE: wrong or already used code. 429: too many failures for this username or address, or AUTH.MFA_BANNED after 5 wrong codes (5 minutes); see Retry-After.',
  })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiProblems(
    ...BODY_PROBLEMS,
    'IDENTITY.TOKEN_LIFETIME_TOO_LONG',
    'IDENTITY.INVALID_CREDENTIALS',
    'AUTH.MFA_REQUIRED',
    'AUTH.MFA_INVALID_CODE',
    'IDENTITY.GRANT_REQUIRED',
    'IDENTITY.FEDERATED_NAME_CLASH',
    'IDENTITY.RATE_LIMITED',
    'AUTH.MFA_BANNED',
    'IDENTITY.DIRECTORY_UNAVAILABLE',
  )
  async login(@Body() _dto: LoginDto, @Req() req: Request): Promise<LoginResponseDto> {
    const t = await this.logins.issue(req.user as VerifiedLogin);
    return {
      token: t.token,
      expiresAt: t.expiresAt,
      tokenId: t.tokenId,
      ...(t.mfaEnrollmentRequired ? { mfaEnrollmentRequired: true } : {}),
    };
  }

  @Post('logout')
  @SelfService()
  @ReachableBeforeMfaEnrollment()
  @Audited({ action: 'auth.logout', target: 'token', targetIsCaller: true })
  @HttpCode(204)
  @ApiOperation({ summary: 'Log out: revoke the token of this request' })
  @ApiNoContentResponse({ description: 'the token is revoked' })
  async logout(@CurrentSession() s: AuthSession): Promise<void> {
    await this.auth.logout(s);
  }

  @Get('me')
  @SelfService()
  @ReachableBeforeMfaEnrollment()
  @ApiOperation({ summary: 'The caller: its user and effective permissions' })
  @ApiOkResponse({ type: MeResponseDto })
  async me(@CurrentSession() s: AuthSession): Promise<MeResponseDto> {
    const user = await this.users.get(s.userId);
    const effective = await this.principals.effectivePermissions(s.userId);
    return { ...toUserResponse(user), effectivePermissions: effective.map(toEffectivePermission) };
  }

  @Put('me/password')
  @SelfService()
  @Audited({ action: 'user.update', target: 'user', targetIsCaller: true, diff: true })
  @HttpCode(204)
  @ApiOperation({
    summary: "Change the caller's own password (needs the current one); other tokens are revoked",
  })
  @ApiNoContentResponse({ description: 'changed' })
  @ApiProblems(...BODY_PROBLEMS, 'IDENTITY.INVALID_CURRENT_PASSWORD', 'IDENTITY.WEAK_PASSWORD')
  async changePassword(@CurrentSession() s: AuthSession, @Body() dto: ChangePasswordDto): Promise<void> {
    await this.users.changeOwnPassword(s.userId, dto.currentPassword, dto.newPassword);
  }

  @Get('auth/password-policy')
  @Public()
  @ApiOperation({ summary: 'The password policy new passwords must meet' })
  @ApiOkResponse({ type: PasswordPolicyDto })
  passwordPolicy(): PasswordPolicyDto {
    return this.policy.policy;
  }
}
