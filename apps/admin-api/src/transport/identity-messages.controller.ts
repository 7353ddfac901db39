import { Controller, Logger } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import {
  AuthenticateRequestDto,
  type AuthenticateResultDto,
  GatewayPatterns,
  GatewayRegistrationDto,
  IdentityPatterns,
  type PrincipalDto,
  ResolvePrincipalRequestDto,
  ContractViolationError,
  validateMessage,
} from '@gatehouse/contracts';
import { AuthService, PrincipalService } from '@gatehouse/identity';
import { GatewayEventBroadcaster } from './gateway-event-broadcaster.service';

/**
 * Transport requests from the gateways (SPEC 5): validate the payload against the contract DTO, one
 * service call, answer. Errors become `RpcException`s with the error's stable code, never a stack.
 */
@Controller()
export class IdentityMessagesController {
  private readonly logger = new Logger('Transport');

  constructor(
    private readonly auth: AuthService,
    private readonly principals: PrincipalService,
    private readonly gateways: GatewayEventBroadcaster,
  ) {}

  @MessagePattern(IdentityPatterns.AUTHENTICATE)
  async authenticate(@Payload() payload: unknown): Promise<AuthenticateResultDto> {
    const req = this.validated(IdentityPatterns.AUTHENTICATE, AuthenticateRequestDto, payload);
    return this.auth.authenticateMqtt(req);
  }

  @MessagePattern(IdentityPatterns.RESOLVE_PRINCIPAL)
  async resolvePrincipal(@Payload() payload: unknown): Promise<PrincipalDto | null> {
    const req = this.validated(IdentityPatterns.RESOLVE_PRINCIPAL, ResolvePrincipalRequestDto, payload);
    return this.principals.principal(req.userId);
  }

  @MessagePattern(GatewayPatterns.REGISTER)
  register(@Payload() payload: unknown): { ok: true; instanceId: string } {
    const dto = this.validated(GatewayPatterns.REGISTER, GatewayRegistrationDto, payload);
    return guard(() => this.gateways.register(dto));
  }

  /**
   * The payload as its contract DTO (CONVENTIONS "Validate at every edge"). An invalid message is
   * answered with `CONTRACTS.INVALID_MESSAGE` and logged as a warning naming the problem; it never
   * reaches a service or the database.
   */
  private validated<T extends object>(pattern: string, cls: new () => T, payload: unknown): T {
    try {
      return validateMessage(cls, payload);
    } catch (err) {
      if (err instanceof ContractViolationError)
        this.logger.warn(`${pattern}: invalid message refused: ${err.message}`);
      return guard(() => {
        throw err;
      });
    }
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
