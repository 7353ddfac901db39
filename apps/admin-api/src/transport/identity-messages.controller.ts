import { Controller } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import {
  AuthenticateRequestDto,
  type AuthenticateResultDto,
  GatewayPatterns,
  GatewayRegistrationDto,
  IdentityPatterns,
  type PrincipalDto,
  ResolvePrincipalRequestDto,
  validateMessage,
} from '@gatehouse/contracts';
import { AuthService, PrincipalService } from '@gatehouse/identity';
import { GatewayEventBroadcaster } from './gateway-event-broadcaster.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Transport requests from the gateways (SPEC 5): validate the payload against the contract DTO, one
 * service call, answer. Errors become `RpcException`s with the error's stable code, never a stack.
 */
@Controller()
export class IdentityMessagesController {
  constructor(
    private readonly auth: AuthService,
    private readonly principals: PrincipalService,
    private readonly gateways: GatewayEventBroadcaster,
  ) {}

  @MessagePattern(IdentityPatterns.AUTHENTICATE)
  async authenticate(@Payload() payload: unknown): Promise<AuthenticateResultDto> {
    const req = guard(() => validateMessage(AuthenticateRequestDto, payload));
    return this.auth.authenticateMqtt(req);
  }

  @MessagePattern(IdentityPatterns.RESOLVE_PRINCIPAL)
  async resolvePrincipal(@Payload() payload: unknown): Promise<PrincipalDto | null> {
    const req = guard(() => validateMessage(ResolvePrincipalRequestDto, payload));
    if (!UUID.test(req.userId)) return null;
    return this.principals.principal(req.userId);
  }

  @MessagePattern(GatewayPatterns.REGISTER)
  register(@Payload() payload: unknown): { ok: true; instanceId: string } {
    const dto = guard(() => validateMessage(GatewayRegistrationDto, payload));
    return guard(() => this.gateways.register(dto));
  }
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new RpcException({ code: e.code ?? 'TRANSPORT.ERROR', message: e.message ?? 'error' });
  }
}
