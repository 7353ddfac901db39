import { Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type AuthSession, oidcBrowserCookie, type OidcLoginResult } from '@gatehouse/identity';
import { Audited } from '../../http/audited.decorator';
import { ApiProblems } from '../../http/api-problems.decorator';
import { CurrentSession, Public, SelfService } from '../../http/route-access.decorator';
import { LoginResponseDto } from '../auth/auth.dto';
import { OidcCallbackGuard } from './oidc-callback.guard';
import { SsoAppService } from './sso.app-service';

// IDENTITY.OIDC_DISABLED (404): OpenID Connect is not configured (OIDC_ISSUER unset);
// IDENTITY.PROVIDER_UNAVAILABLE (503): the provider cannot be reached or answered wrongly

/** The login cookie's value from the Cookie header (no cookie parser is installed). */
@ApiTags('auth')
@Controller('auth')
export class SsoController {
  constructor(private readonly sso: SsoAppService) {}

  @Get('oidc/login')
  @Public()
  @ApiOperation({
    summary: 'Start an OpenID Connect login: 302 to the provider (code flow, PKCE S256, state, nonce)',
    description:
      'Sets the HttpOnly cookie that ties the callback to this browser. The attempt expires after OIDC_LOGIN_TTL_SECONDS (10 minutes).',
  })
  @ApiFoundResponse({
    description: 'Location: the provider’s authorization endpoint',
    headers: {
      Location: { description: 'the provider’s authorization endpoint', schema: { type: 'string' } },
      'Set-Cookie': { description: 'the HttpOnly login cookie', schema: { type: 'string' } },
    },
  })
  @ApiProblems('IDENTITY.OIDC_DISABLED', 'IDENTITY.PROVIDER_UNAVAILABLE')
  async login(@Req() req: Request, @Res() res: Response): Promise<void> {
    const start = await this.sso.start(oidcBrowserCookie(req));
    res
      .status(302)
      .setHeader('Set-Cookie', this.sso.cookie(start))
      .setHeader('Cache-Control', 'no-store')
      .setHeader('Location', start.url.href)
      .end();
  }

  @Get('oidc/callback')
  @Public()
  @UseGuards(OidcCallbackGuard)
  @Audited({ action: 'auth.login', target: 'user' })
  @ApiOperation({
    summary: 'Finish an OpenID Connect login: the provider redirects here; answers a Gatehouse token',
    description:
      'Verifies state (once, this browser’s, not expired), the code with PKCE, and the ID token (signature from the provider’s JWKS, iss, aud, exp, nonce). The user is found by (issuer, sub), created on first sight; its groups (OIDC_ROLE_CLAIM) decide its group roles. No Gatehouse TOTP: the provider authenticates.',
  })
  @ApiQuery({ name: 'code', required: false })
  @ApiQuery({ name: 'state', required: true })
  @ApiQuery({ name: 'iss', required: false })
  @ApiQuery({ name: 'error', required: false, description: 'the provider refused, e.g. access_denied' })
  @ApiOkResponse({ type: LoginResponseDto, description: 'the same answer as POST /api/login' })
  // 400 OIDC_STATE_INVALID: no, unknown, already used or another browser’s state; 401 PROVIDER_REFUSED
  // (e.g. access_denied), AUTH.OIDC_STEP_UP_REQUIRED (an admin-level user without OIDC_ADMIN_ACR /
  // OIDC_ADMIN_AMR); 409 FEDERATED_NAME_CLASH: a Gatehouse user holds the name (OIDC_USERNAME_CLASH=refuse)
  @ApiProblems(
    'IDENTITY.OIDC_STATE_INVALID',
    'IDENTITY.OIDC_LOGIN_EXPIRED',
    'IDENTITY.PROVIDER_REFUSED',
    'IDENTITY.OIDC_ID_TOKEN_INVALID',
    'IDENTITY.OIDC_CLAIM_INVALID',
    'IDENTITY.USER_DISABLED',
    'AUTH.OIDC_STEP_UP_REQUIRED',
    'IDENTITY.FEDERATED_NAME_CLASH',
    'IDENTITY.OIDC_DISABLED',
    'IDENTITY.PROVIDER_UNAVAILABLE',
  )
  async callback(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginResponseDto> {
    res.setHeader('Cache-Control', 'no-store');
    return this.sso.finish((req as Request & { user: OidcLoginResult }).user);
  }

  @Post('refresh')
  @SelfService()
  @Audited({ action: 'auth.login', target: 'user', targetIsCaller: true })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Refresh a federated session: the provider confirms the user again; answers a new token',
    description:
      'OIDC: the refresh grant at the provider, groups read again from the new ID token (or userinfo). LDAP: the entry read again at its DN. Roles follow the groups at once (also on the gateways). The calling token is revoked; a provider that refuses also ends it.',
  })
  @ApiOkResponse({ type: LoginResponseDto, description: 'a new login token; the calling one is revoked' })
  // 401 PROVIDER_REFUSED: the provider or directory no longer accepts the user (the calling token is
  // revoked); 409 REFRESH_NOT_SUPPORTED: a local user, a labelled token, or no refresh token from the provider
  @ApiProblems(
    'IDENTITY.PROVIDER_REFUSED',
    'AUTH.OIDC_STEP_UP_REQUIRED',
    'IDENTITY.REFRESH_NOT_SUPPORTED',
    'IDENTITY.PROVIDER_UNAVAILABLE',
    'IDENTITY.DIRECTORY_UNAVAILABLE',
  )
  async refresh(
    @CurrentSession() s: AuthSession,
    @Res({ passthrough: true }) res: Response,
  ): Promise<LoginResponseDto> {
    res.setHeader('Cache-Control', 'no-store');
    return this.sso.refresh(s);
  }
}
