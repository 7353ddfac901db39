import { Controller, Logger } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AuthenticateRequestDto,
  type AuthenticateResultDto,
  GatewayPatterns,
  GatewayRegistrationDto,
  IdentityPatterns,
  type PrincipalDto,
  ResolveFederatedPrincipalRequestDto,
  ResolvePrincipalRequestDto,
} from '@gatehouse/contracts';
import { AuthService, FederatedPrincipalService, PrincipalService } from '@gatehouse/identity';
import { GatewayEventBroadcaster } from './gateway-event-broadcaster.service';
import { rpcGuard, validatedMessage } from './validated-message';

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
    private readonly federated: FederatedPrincipalService,
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

  /** A provider's access token the gateway verified (ADR 0027): who (issuer, sub) is here, and may it come in. */
  @MessagePattern(IdentityPatterns.RESOLVE_FEDERATED_PRINCIPAL)
  async resolveFederatedPrincipal(@Payload() payload: unknown): Promise<AuthenticateResultDto> {
    const req = this.validated(
      IdentityPatterns.RESOLVE_FEDERATED_PRINCIPAL,
      ResolveFederatedPrincipalRequestDto,
      payload,
    );
    return this.federated.forAccessToken(req);
  }

  @MessagePattern(GatewayPatterns.REGISTER)
  register(@Payload() payload: unknown): { ok: true; instanceId: string } {
    const dto = this.validated(GatewayPatterns.REGISTER, GatewayRegistrationDto, payload);
    return rpcGuard(() => this.gateways.register(dto));
  }

  private validated<T extends object>(pattern: string, cls: new () => T, payload: unknown): T {
    return validatedMessage(this.logger, pattern, cls, payload);
  }
}
