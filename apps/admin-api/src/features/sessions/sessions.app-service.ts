import { HttpStatus, Injectable } from '@nestjs/common';
import {
  DisconnectSessionResultDto,
  ListSessionsResultDto,
  type LiveSessionDto,
  SessionPatterns,
} from '@gatehouse/contracts';
import { decodeCursor, encodeCursor } from '@gatehouse/identity';
import { Problem } from '../../http/problem';
import { type GatewayAnswers, GatewayQueries } from '../../transport/gateway-queries.service';
import type {
  DisconnectSessionResponseDto,
  GatewayCoverageDto,
  ListSessionsQueryDto,
  LiveSessionPageDto,
  LiveSessionResponseDto,
} from './sessions.dto';

/**
 * Live MQTT sessions on every gateway (SPEC 2.3, ADR 0022): a scatter-gather over the transport. The
 * list is the union of the answers, sorted by (client id, gateway id, instance) and paged with an
 * opaque cursor on that key; `gateways` says who answered.
 */
@Injectable()
export class SessionsAppService {
  constructor(private readonly queries: GatewayQueries) {}

  async list(q: ListSessionsQueryDto): Promise<LiveSessionPageDto> {
    const after = decodeCursor(q.cursor);
    const res = await this.queries.ask(
      SessionPatterns.LIST,
      {
        ...(q.userId ? { userId: q.userId } : {}),
        ...(q.clientId !== undefined ? { clientId: q.clientId } : {}),
      },
      ListSessionsResultDto,
    );
    const all = res.answers
      .flatMap((a) => a.sessions)
      .map((s) => ({ key: sortKey(s), s }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .filter((e) => after === undefined || e.key > after);
    const page = all.slice(0, q.limit);
    return {
      items: page.map((e) => toResponse(e.s)),
      nextCursor: all.length > q.limit ? encodeCursor(page[page.length - 1].key) : null,
      gateways: coverage(res),
    };
  }

  /** Ends every session of `clientId` on every gateway; 404 when no gateway that answered had one. */
  async disconnect(clientId: string): Promise<DisconnectSessionResponseDto> {
    const res = await this.queries.ask(SessionPatterns.DISCONNECT, { clientId }, DisconnectSessionResultDto);
    const on = res.answers.filter((a) => a.disconnected).map((a) => a.gatewayId);
    if (on.length === 0) {
      const detail = res.partial
        ? `no session with client id ${JSON.stringify(clientId)} on the gateways that answered (no answer from ${res.unanswered.join(', ')})`
        : `no gateway holds a session with client id ${JSON.stringify(clientId)}`;
      throw new Problem(HttpStatus.NOT_FOUND, 'SESSIONS.NOT_FOUND', detail);
    }
    return { clientId, disconnectedOn: on, gateways: coverage(res) };
  }
}

export function coverage(res: GatewayAnswers<unknown>): GatewayCoverageDto {
  return { answered: [...res.answered].sort(), unanswered: [...res.unanswered].sort(), partial: res.partial };
}

function sortKey(s: LiveSessionDto): string {
  return `${s.clientId}\u0000${s.gatewayId}\u0000${s.gatewayInstance}`;
}

function toResponse(s: LiveSessionDto): LiveSessionResponseDto {
  return {
    clientId: s.clientId,
    userId: s.userId,
    username: s.username,
    gatewayId: s.gatewayId,
    gatewayInstance: s.gatewayInstance,
    remoteAddress: s.remoteAddress ?? null,
    listener: s.listener,
    subscriptions: s.subscriptions.map((x) => ({ filter: x.filter, qos: x.qos })),
    connectedAt: s.connectedAt,
  };
}
