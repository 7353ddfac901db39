import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import {
  AuditPatterns,
  AuthenticateResultDto,
  CaCertificatesDto,
  RegistryPatterns,
  type AuthenticateRequestDto,
  type GatewayRegistrationDto,
  GatewayPatterns,
  IdentityPatterns,
  type MqttRefusalBatchDto,
  PrincipalDto,
  type ResolveFederatedPrincipalRequestDto,
  transportClientOptions,
  validateMessage,
} from '@gatehouse/contracts';
import { firstValueFrom, from, timeout } from 'rxjs';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { IdentityUnavailableError } from './identity-unavailable.error';

/** What admin-api answers to a registration. `instanceId` changes when admin-api restarts. */
export interface RegistrationAnswer {
  ok: boolean;
  instanceId?: string;
}

/**
 * Requests from the gateway to admin-api over the Nest microservice transport (SPEC 5). Answers are
 * validated against the contract DTOs on receipt; anything unexpected, a transport error or a timeout
 * is an {@link IdentityUnavailableError}.
 */
@Injectable()
export class IdentityClient implements OnApplicationShutdown {
  private readonly logger = new Logger(IdentityClient.name);
  private readonly client: ClientProxy;
  private lastStatus = '';

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.client = ClientProxyFactory.create(transportClientOptions(config.transport));
    this.client.status.subscribe((s) => (this.lastStatus = String(s)));
  }

  async authenticate(req: AuthenticateRequestDto): Promise<AuthenticateResultDto> {
    const answer = await this.request(IdentityPatterns.AUTHENTICATE, req);
    return this.validate(AuthenticateResultDto, answer);
  }

  /** The principal, or null when the user no longer exists. */
  async resolvePrincipal(userId: string): Promise<PrincipalDto | null> {
    const answer = await this.request(IdentityPatterns.RESOLVE_PRINCIPAL, { userId });
    if (answer === null || answer === undefined || answer === '') return null;
    return this.validate(PrincipalDto, answer);
  }

  /** Who a provider's (issuer, subject) is here and whether it may come in (ADR 0027). */
  async federatedPrincipal(req: ResolveFederatedPrincipalRequestDto): Promise<AuthenticateResultDto> {
    const answer = await this.request(IdentityPatterns.RESOLVE_FEDERATED_PRINCIPAL, req);
    return this.validate(AuthenticateResultDto, answer);
  }

  /** The CA certificates (PEM) admin-api issues client certificates from: the Gatehouse CA. */
  async caCertificates(): Promise<string[]> {
    const answer = await this.request(RegistryPatterns.CA_CERTIFICATES, {});
    return this.validate(CaCertificatesDto, answer).certificates;
  }

  async register(dto: GatewayRegistrationDto): Promise<RegistrationAnswer> {
    const answer = await this.request(GatewayPatterns.REGISTER, dto);
    if (typeof answer !== 'object' || answer === null || (answer as RegistrationAnswer).ok !== true) {
      throw new IdentityUnavailableError('unexpected answer to gateway registration');
    }
    return answer as RegistrationAnswer;
  }

  /** A batch of aggregated MQTT refusals for the audit trail (ADR 0016). */
  async recordRefusals(batch: MqttRefusalBatchDto): Promise<void> {
    const answer = await this.request(AuditPatterns.RECORD_MQTT_REFUSALS, batch);
    if (
      typeof answer !== 'object' ||
      answer === null ||
      typeof (answer as { recorded?: unknown }).recorded !== 'number'
    )
      throw new IdentityUnavailableError('unexpected answer to a batch of MQTT refusals');
  }

  /** Whether the transport client is connected (NATS: to the NATS server), connecting it if need be. */
  async connected(): Promise<boolean> {
    try {
      await firstValueFrom(from(this.client.connect()).pipe(timeout(1000)));
      return this.lastStatus !== 'disconnected' && this.lastStatus !== 'reconnecting';
    } catch {
      return false;
    }
  }

  onApplicationShutdown(): void {
    this.client.close();
  }

  private async request(pattern: string, payload: object): Promise<unknown> {
    try {
      return await firstValueFrom(
        this.client.send<unknown>(pattern, payload).pipe(timeout(this.config.identityTimeoutMs)),
        {
          defaultValue: null,
        },
      );
    } catch (err) {
      throw new IdentityUnavailableError(`${pattern}: ${describe(err)}`);
    }
  }

  private validate<T extends object>(cls: new () => T, answer: unknown): T {
    try {
      return validateMessage(cls, answer);
    } catch (err) {
      this.logger.error(`invalid answer from admin-api: ${describe(err)}`);
      throw new IdentityUnavailableError('invalid answer');
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && 'message' in err) return String(err.message);
  return String(err);
}
