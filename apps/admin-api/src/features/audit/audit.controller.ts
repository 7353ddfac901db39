import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuditEvent, AuditService } from '@gatehouse/audit';
import { ApiProblems } from '../../http/api-problems.decorator';
import { HttpPermission } from '../../http/route-access.decorator';
import { AuditEventDto, AuditEventPageDto, AuditVerificationDto, ListAuditEventsQueryDto } from './audit.dto';

/** Maps by whitelist; the optional fields appear only when set. */
function toAuditEventDto(e: AuditEvent): AuditEventDto {
  return {
    id: e.id,
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    target: e.target,
    result: e.result,
    sourceAddress: e.sourceAddress,
    instanceId: e.instanceId,
    ...(e.changes !== null ? { changes: e.changes } : {}),
    ...(e.count !== null ? { count: e.count } : {}),
    ...(e.topic !== null ? { topic: e.topic } : {}),
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

/** SPEC 6: read-only. There is no route that changes or deletes an event. */
@ApiTags('audit')
@Controller('audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @HttpPermission()
  @ApiOperation({ summary: 'List audit events, newest first, with filters' })
  @ApiOkResponse({ type: AuditEventPageDto })
  @ApiProblems('VALIDATION', 'AUDIT.INVALID_CURSOR')
  async list(@Query() q: ListAuditEventsQueryDto): Promise<AuditEventPageDto> {
    const page = await this.audit.list({
      limit: q.limit,
      cursor: q.cursor,
      actor: q.actor,
      action: q.action,
      targetId: q.targetId,
      result: q.result,
      from: q.from !== undefined ? new Date(q.from) : undefined,
      to: q.to !== undefined ? new Date(q.to) : undefined,
    });
    return { items: page.items.map(toAuditEventDto), nextCursor: page.nextCursor };
  }

  @Get('verify')
  @HttpPermission()
  @ApiOperation({ summary: "Verify the audit trail's hash chain" })
  @ApiOkResponse({ type: AuditVerificationDto })
  async verify(): Promise<AuditVerificationDto> {
    const v = await this.audit.verify();
    return {
      ok: v.ok,
      checked: v.checked,
      ...(v.firstBrokenId !== undefined
        ? { firstBrokenId: v.firstBrokenId, firstBrokenSeq: v.firstBrokenSeq }
        : {}),
      ...(v.reason !== undefined ? { reason: v.reason } : {}),
      prunedThroughSeq: v.prunedThroughSeq,
    };
  }
}
