import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AuthSession } from '@gatehouse/identity';
import { HandsOut, HandsOutNothing } from '../../http/escalation.decorator';
import { ApiProblems, BODY_PROBLEMS } from '../../http/api-problems.decorator';
import { CurrentSession, HttpPermission, Public } from '../../http/route-access.decorator';
import { toUserResponse } from '../users/user.mapper';
import {
  GrantRequestDto,
  GrantResultDto,
  ListRequestsQueryDto,
  RegisterDto,
  RegisterGrantedDto,
  RegisterPendingDto,
  RegistrationRequestDto,
  RegistrationRequestPageDto,
  RegistryStateDto,
  UnlockRegistryDto,
} from './client-registry.dto';
import { ClientRegistryAppService } from './client-registry.app-service';
import { toRegistrationRequestResponse } from './client-registry.mapper';
import { JsonBodyOnly } from './json-body.interceptor';
import { Audited } from '../../http/audited.decorator';

const uuid = new ParseUUIDPipe({ version: undefined });

/** SPEC 4: registry state, the devices' public register route, and the approver's routes. */
@ApiTags('client-registry')
@ApiExtraModels(RegisterPendingDto, RegisterGrantedDto)
@Controller('client-registry')
export class ClientRegistryController {
  constructor(private readonly registry: ClientRegistryAppService) {}

  @Get()
  @HttpPermission()
  @ApiOperation({ summary: 'The registry state: locked, or unlocked until when' })
  @ApiOkResponse({ type: RegistryStateDto })
  state(): Promise<RegistryStateDto> {
    return this.registry.getState();
  }

  @Post('unlock')
  @HttpPermission()
  @Audited({ action: 'registry.unlock', target: 'client-registry' })
  @HandsOutNothing('opens the registry to requests; what a request receives is checked when it is granted')
  @HttpCode(200)
  @ApiOperation({ summary: 'Unlock the registry to new registration requests for a while' })
  @ApiOkResponse({ type: RegistryStateDto })
  @ApiProblems(...BODY_PROBLEMS, 'REGISTRY.INVALID_REQUEST')
  unlock(@Body() dto: UnlockRegistryDto): Promise<RegistryStateDto> {
    return this.registry.unlock(dto.durationMs);
  }

  @Post('lock')
  @HttpPermission()
  @Audited({ action: 'registry.lock', target: 'client-registry' })
  @HandsOutNothing('closes the registry to new requests')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lock the registry: no new registration requests' })
  @ApiOkResponse({ type: RegistryStateDto })
  lock(): Promise<RegistryStateDto> {
    return this.registry.lock();
  }

  /** Public (SPEC 2.1): a device records a request, polls it, and collects its certificate with the same call. */
  @Post('register')
  @Public()
  @HandsOutNothing('a device only asks; nothing is handed out until an approver grants the request')
  @UseInterceptors(JsonBodyOnly)
  @ApiAcceptedResponse({
    type: RegisterPendingDto,
    description: 'recorded, or still pending: poll again with the same request',
  })
  @ApiCreatedResponse({ type: RegisterGrantedDto, description: 'granted' })
  @ApiOperation({
    summary: 'A device asks to be registered, polls its request and collects its certificate',
    description:
      '202 while pending (poll with the same body), 201 once granted. 403 REGISTRY.REJECTED: the request with these credentials was rejected; 409 REGISTRY.CONFLICT: the user exists, or a request with other credentials is pending; 423 REGISTRY.LOCKED: locked and nothing pending for these credentials; 429: too many attempts from this address (Retry-After).',
  })
  @ApiProblems(
    ...BODY_PROBLEMS,
    'REGISTRY.INVALID_REQUEST',
    'REGISTRY.INVALID_CSR',
    'IDENTITY.WEAK_PASSWORD',
    'REGISTRY.REJECTED',
    'REGISTRY.CONFLICT',
    'REGISTRY.REQUEST_EXPIRED',
    'HTTP.PAYLOAD_TOO_LARGE',
    'HTTP.UNSUPPORTED_MEDIA_TYPE',
    'REGISTRY.LOCKED',
    'REGISTRY.RATE_LIMITED',
    'REGISTRY.TOO_MANY_PENDING',
    'REGISTRY.CA_UNAVAILABLE',
  )
  async register(
    @Body() dto: RegisterDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RegisterPendingDto | RegisterGrantedDto> {
    const outcome = await this.registry.register(dto, req.ip);
    if (outcome.kind === 'pending') {
      res.status(202);
      return { requestId: outcome.requestId, pairingId: outcome.pairingId, state: 'pending' };
    }
    res.status(201);
    return {
      username: outcome.username,
      ...(outcome.certificate ? { certificate: outcome.certificate } : {}),
      ...(outcome.caCertificate ? { caCertificate: outcome.caCertificate } : {}),
    };
  }

  @Get('requests')
  @HttpPermission()
  @ApiOperation({ summary: 'List registration requests, a page at a time' })
  @ApiOkResponse({ type: RegistrationRequestPageDto })
  @ApiProblems('VALIDATION', 'REGISTRY.INVALID_CURSOR')
  async list(@Query() q: ListRequestsQueryDto): Promise<RegistrationRequestPageDto> {
    const page = await this.registry.list(q);
    return { items: page.items.map(toRegistrationRequestResponse), nextCursor: page.nextCursor };
  }

  @Get('requests/:id')
  @HttpPermission()
  @ApiOperation({ summary: 'Get a registration request' })
  @ApiOkResponse({ type: RegistrationRequestDto })
  @ApiProblems('HTTP.400', 'REGISTRY.REQUEST_NOT_FOUND')
  async get(@Param('id', uuid) id: string): Promise<RegistrationRequestDto> {
    return toRegistrationRequestResponse(await this.registry.get(id));
  }

  @Post('requests/:id/grant')
  @HttpPermission()
  @Audited({ action: 'registry.grant', target: 'registration-request', idParam: 'id' })
  @HandsOut({ to: 'registration-request', handsOut: ['permissions', 'roles'] })
  @HttpCode(200)
  @ApiOperation({ summary: 'Grant a pending registration request: the device user is created' })
  @ApiOkResponse({ type: GrantResultDto })
  @ApiProblems(
    'HTTP.400',
    ...BODY_PROBLEMS,
    'IDENTITY.UNKNOWN_ROLE',
    'REGISTRY.REQUEST_NOT_FOUND',
    'REGISTRY.REQUEST_NOT_PENDING',
    'REGISTRY.REQUEST_EXPIRED',
    'IDENTITY.USER_EXISTS',
    'REGISTRY.CA_UNAVAILABLE',
  )
  async grant(
    @CurrentSession() s: AuthSession,
    @Param('id', uuid) id: string,
    @Body() dto: GrantRequestDto,
  ): Promise<GrantResultDto> {
    const { request, user } = await this.registry.grant(s, id, dto);
    return { request: toRegistrationRequestResponse(request), user: toUserResponse(user) };
  }

  @Post('requests/:id/reject')
  @HttpPermission()
  @Audited({ action: 'registry.reject', target: 'registration-request', idParam: 'id' })
  @HandsOutNothing('rejecting creates no user and hands out nothing')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a pending registration request' })
  @ApiOkResponse({ type: RegistrationRequestDto })
  @ApiProblems('HTTP.400', 'REGISTRY.REQUEST_NOT_FOUND', 'REGISTRY.REQUEST_NOT_PENDING')
  async reject(
    @CurrentSession() s: AuthSession,
    @Param('id', uuid) id: string,
  ): Promise<RegistrationRequestDto> {
    return toRegistrationRequestResponse(await this.registry.reject(s, id));
  }
}
