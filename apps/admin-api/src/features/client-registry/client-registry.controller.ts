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
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AuthSession } from '@gatehouse/identity';
import { HandsOut, HandsOutNothing } from '../../http/escalation.decorator';
import { ProblemDetailsDto } from '../../http/problem-details.dto';
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
  @ApiOkResponse({ type: RegistryStateDto })
  state(): Promise<RegistryStateDto> {
    return this.registry.getState();
  }

  @Post('unlock')
  @HttpPermission()
  @Audited({ action: 'registry.unlock', target: 'client-registry' })
  @HandsOutNothing('opens the registry to requests; what a request receives is checked when it is granted')
  @HttpCode(200)
  @ApiOkResponse({ type: RegistryStateDto })
  unlock(@Body() dto: UnlockRegistryDto): Promise<RegistryStateDto> {
    return this.registry.unlock(dto.durationMs);
  }

  @Post('lock')
  @HttpPermission()
  @Audited({ action: 'registry.lock', target: 'client-registry' })
  @HandsOutNothing('closes the registry to new requests')
  @HttpCode(200)
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
  @ApiConflictResponse({
    type: ProblemDetailsDto,
    description: 'the user exists, or a request with other credentials is pending',
  })
  @ApiForbiddenResponse({
    type: ProblemDetailsDto,
    description: 'the request with these credentials was rejected',
  })
  @ApiResponse({
    status: 423,
    type: ProblemDetailsDto,
    description: 'the registry is locked and nothing is pending for these credentials',
  })
  @ApiResponse({ status: 429, type: ProblemDetailsDto, description: 'too many attempts from this address' })
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
  @ApiOkResponse({ type: RegistrationRequestPageDto })
  async list(@Query() q: ListRequestsQueryDto): Promise<RegistrationRequestPageDto> {
    const page = await this.registry.list(q);
    return { items: page.items.map(toRegistrationRequestResponse), nextCursor: page.nextCursor };
  }

  @Get('requests/:id')
  @HttpPermission()
  @ApiOkResponse({ type: RegistrationRequestDto })
  async get(@Param('id', uuid) id: string): Promise<RegistrationRequestDto> {
    return toRegistrationRequestResponse(await this.registry.get(id));
  }

  @Post('requests/:id/grant')
  @HttpPermission()
  @Audited({ action: 'registry.grant', target: 'registration-request', idParam: 'id' })
  @HandsOut({ to: 'registration-request', handsOut: ['permissions', 'roles'] })
  @HttpCode(200)
  @ApiOkResponse({ type: GrantResultDto })
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
  @ApiOkResponse({ type: RegistrationRequestDto })
  async reject(
    @CurrentSession() s: AuthSession,
    @Param('id', uuid) id: string,
  ): Promise<RegistrationRequestDto> {
    return toRegistrationRequestResponse(await this.registry.reject(s, id));
  }
}
