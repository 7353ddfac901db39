import { Controller, Logger } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type AuditEventInput, AuditService } from '@gatehouse/audit';
import { AuditPatterns, type MqttRefusalDto, MqttRefusalBatchDto } from '@gatehouse/contracts';
import { validatedMessage } from '../../transport/validated-message';

/** One aggregated refusal as an audit event (SPEC 6, ADR 0016). */
function toEvent(gatewayId: string, r: MqttRefusalDto): AuditEventInput {
  const connect = r.action === 'mqtt.connect.refused';
  return {
    at: new Date(r.minute),
    action: r.action,
    result: 'denied',
    // A refused CONNECT authenticated nobody: its username is what the client claimed, so the target's name.
    actor:
      connect || (r.userId === null && r.username === null) ? null : { id: r.userId, username: r.username },
    target: { type: 'mqtt-client', id: r.clientId, name: connect ? r.username : null },
    topic: r.topic,
    sourceAddress: r.sourceAddress,
    instanceId: gatewayId,
    count: r.count,
  };
}

/** The gateways' batches of aggregated MQTT refusals (SPEC 6): validated, then one append per batch. */
@Controller()
export class AuditMessagesController {
  private readonly logger = new Logger('Transport');

  constructor(private readonly audit: AuditService) {}

  @MessagePattern(AuditPatterns.RECORD_MQTT_REFUSALS)
  async recordRefusals(@Payload() payload: unknown): Promise<{ recorded: number }> {
    const batch = validatedMessage(
      this.logger,
      AuditPatterns.RECORD_MQTT_REFUSALS,
      MqttRefusalBatchDto,
      payload,
    );
    if (batch.refusals.length === 0) return { recorded: 0 };
    const stored = await this.audit.record(batch.refusals.map((r) => toEvent(batch.gatewayId, r)));
    return { recorded: stored.length };
  }
}
