import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';
import { AUDIT_RESULTS, type AuditResult } from '@gatehouse/audit';
import { PageQueryDto } from '../shared/paging.dto';

export class ListAuditEventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'the actor: a user id or a username' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  actor?: string;

  @ApiPropertyOptional({ example: 'user.create' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  action?: string;

  @ApiPropertyOptional({ description: 'the target id (a user id, role id, client id, …)' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  targetId?: string;

  @ApiPropertyOptional({ enum: AUDIT_RESULTS })
  @IsOptional()
  @IsIn(AUDIT_RESULTS)
  result?: AuditResult;

  @ApiPropertyOptional({ format: 'date-time', description: 'events at or after this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'events at or before this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class AuditActorDto {
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) id!: string | null;
  @ApiProperty({ type: String, nullable: true }) username!: string | null;
}

export class AuditTargetDto {
  @ApiProperty({ example: 'user' }) type!: string;
  @ApiProperty({ type: String, nullable: true }) id!: string | null;
  @ApiProperty({ type: String, nullable: true }) name!: string | null;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'position in the hash chain' }) seq!: number;
  @ApiProperty() at!: Date;
  @ApiProperty({ type: AuditActorDto, nullable: true }) actor!: AuditActorDto | null;
  @ApiProperty({ example: 'user.create' }) action!: string;
  @ApiProperty({ type: AuditTargetDto }) target!: AuditTargetDto;
  @ApiProperty({ enum: AUDIT_RESULTS }) result!: AuditResult;
  @ApiProperty({ type: String, nullable: true }) sourceAddress!: string | null;
  @ApiProperty() instanceId!: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'before/after of each changed field, secrets removed',
  })
  changes?: Record<string, { before: unknown; after: unknown }>;
  @ApiPropertyOptional({ description: 'how many occurrences an aggregated MQTT refusal stands for' })
  count?: number;
  @ApiPropertyOptional({ description: 'topic or filter of a refused MQTT PUBLISH or SUBSCRIBE' })
  topic?: string;
  @ApiProperty() prevHash!: string;
  @ApiProperty({ description: 'SHA-256 of the canonical event and prevHash' }) hash!: string;
}

export class AuditEventPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items!: AuditEventDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class AuditVerificationDto {
  @ApiProperty() ok!: boolean;
  @ApiProperty({ description: 'events checked' }) checked!: number;
  @ApiPropertyOptional({ format: 'uuid', description: 'the first event that breaks the chain' })
  firstBrokenId?: string;
  @ApiPropertyOptional() firstBrokenSeq?: number;
  @ApiPropertyOptional() reason?: string;
  @ApiProperty({ description: 'events removed by retention up to this seq; the walk starts after it' })
  prunedThroughSeq!: number;
}
