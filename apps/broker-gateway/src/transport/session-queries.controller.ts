import { Controller, Logger } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import {
  ContractViolationError,
  DisconnectSessionRequestDto,
  type DisconnectSessionResultDto,
  ListSessionsRequestDto,
  type ListSessionsResultDto,
  PreviewRevocationsRequestDto,
  type PreviewRevocationsResultDto,
  SessionPatterns,
  validateMessage,
} from '@gatehouse/contracts';
import { LiveSessions } from '../sessions/live-sessions.service';

/**
 * admin-api's questions about this gateway's live sessions (ADR 0022): validated, then answered from the
 * session registry. Over loopback TCP admin-api asks each registered gateway; over NATS every gateway
 * subscribes (no queue group) and each answers the same request.
 */
@Controller()
export class SessionQueriesController {
  private readonly logger = new Logger(SessionQueriesController.name);

  constructor(private readonly live: LiveSessions) {}

  @MessagePattern(SessionPatterns.LIST)
  list(@Payload() payload: unknown): ListSessionsResultDto {
    return this.live.list(this.validated(SessionPatterns.LIST, ListSessionsRequestDto, payload));
  }

  @MessagePattern(SessionPatterns.DISCONNECT)
  disconnect(@Payload() payload: unknown): DisconnectSessionResultDto {
    const req = this.validated(SessionPatterns.DISCONNECT, DisconnectSessionRequestDto, payload);
    return this.live.disconnect(req.clientId);
  }

  @MessagePattern(SessionPatterns.PREVIEW)
  preview(@Payload() payload: unknown): PreviewRevocationsResultDto {
    const req = this.validated(SessionPatterns.PREVIEW, PreviewRevocationsRequestDto, payload);
    return this.live.preview(req.principals, req.credentialsChanged ?? []);
  }

  private validated<T extends object>(pattern: string, cls: new () => T, payload: unknown): T {
    try {
      return validateMessage(cls, payload);
    } catch (err) {
      const e = err as Error & { code?: string };
      if (err instanceof ContractViolationError)
        this.logger.warn(`${pattern}: invalid message refused: ${e.message}`);
      throw new RpcException({ code: e.code ?? 'TRANSPORT.ERROR', message: e.message });
    }
  }
}
