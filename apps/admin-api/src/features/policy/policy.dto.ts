import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { GatewayCoverageDto } from '../sessions/sessions.dto';

/** OpenAPI shapes of /api/policy (ADR 0028); the body is validated against the JSON Schema instead. */
export class PolicyPermissionDto {
  @ApiProperty({ enum: ['mqtt', 'http'] }) context!: string;
  @ApiProperty({ example: 'sensors/+/temp' }) resource!: string;
  @ApiProperty({ enum: ['read', 'write', 'readWrite'] }) operation!: string;
  @ApiPropertyOptional({ enum: ['allow', 'deny'], description: 'absent = allow' }) effect?: string;
  @ApiPropertyOptional({ enum: [0, 1, 2] }) maxQos?: number;
  @ApiPropertyOptional() retain?: boolean;
}

export class PolicyRoleDto {
  @ApiProperty({ minLength: 1, maxLength: 64 }) name!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) description?: string | null;
  @ApiPropertyOptional({ type: [PolicyPermissionDto], description: 'absent = none' })
  permissions?: PolicyPermissionDto[];
  @ApiPropertyOptional({ type: [String], description: 'directory groups (SPEC 2.1a); absent = none' })
  externalGroups?: string[];
}

export class PolicyUserDto {
  @ApiProperty({ minLength: 3, maxLength: 128 }) username!: string;
  @ApiPropertyOptional({ description: 'absent = true' }) enabled?: boolean;
  @ApiPropertyOptional({ type: [String], description: 'role names; absent = none' }) roles?: string[];
  @ApiPropertyOptional({ type: [PolicyPermissionDto], description: 'direct permissions; absent = none' })
  permissions?: PolicyPermissionDto[];
}

export class PolicyDocumentDto {
  @ApiProperty({ enum: ['gatehouse/v1'] }) apiVersion!: string;
  @ApiProperty({ enum: ['Policy'] }) kind!: string;
  @ApiPropertyOptional({ type: [PolicyRoleDto] }) roles?: PolicyRoleDto[];
  @ApiPropertyOptional({ type: [PolicyUserDto] }) users?: PolicyUserDto[];
}

export class PolicyApplyRequestDto {
  @ApiProperty({ type: PolicyDocumentDto }) document!: PolicyDocumentDto;
  @ApiPropertyOptional({ default: false, description: 'plan and report, change nothing' }) dryRun?: boolean;
  @ApiPropertyOptional({
    default: false,
    description: 'delete the roles (but the built-in ones) and users the document does not name',
  })
  prune?: boolean;
}

export class PolicyDescriptionChangeDto {
  @ApiPropertyOptional({ nullable: true, type: String }) before!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) after!: string | null;
}

export class PolicyEnabledChangeDto {
  @ApiProperty() before!: boolean;
  @ApiProperty() after!: boolean;
}

export class PolicyRoleChangeDto {
  @ApiProperty() name!: string;
  @ApiProperty({ type: [PolicyPermissionDto] }) permissionsAdded!: PolicyPermissionDto[];
  @ApiProperty({ type: [PolicyPermissionDto] }) permissionsRemoved!: PolicyPermissionDto[];
  @ApiProperty({ type: [String] }) externalGroupsAdded!: string[];
  @ApiProperty({ type: [String] }) externalGroupsRemoved!: string[];
  @ApiPropertyOptional({ type: PolicyDescriptionChangeDto }) description?: PolicyDescriptionChangeDto;
}

export class PolicyUserChangeDto {
  @ApiProperty() username!: string;
  @ApiProperty({ type: [PolicyPermissionDto] }) permissionsAdded!: PolicyPermissionDto[];
  @ApiProperty({ type: [PolicyPermissionDto] }) permissionsRemoved!: PolicyPermissionDto[];
  @ApiProperty({ type: [String] }) rolesAdded!: string[];
  @ApiProperty({ type: [String] }) rolesRemoved!: string[];
  @ApiPropertyOptional({ type: PolicyEnabledChangeDto }) enabled?: PolicyEnabledChangeDto;
}

export class PolicyRolesDiffDto {
  @ApiProperty({ type: [String] }) created!: string[];
  @ApiProperty({ type: [PolicyRoleChangeDto] }) changed!: PolicyRoleChangeDto[];
  @ApiProperty({ type: [String] }) deleted!: string[];
}

export class PolicyUsersDiffDto {
  @ApiProperty({ type: [String] }) created!: string[];
  @ApiProperty({ type: [PolicyUserChangeDto] }) changed!: PolicyUserChangeDto[];
  @ApiProperty({ type: [String] }) deleted!: string[];
}

export class PolicyRevocationDto {
  @ApiProperty() clientId!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() username!: string;
  @ApiProperty() gatewayId!: string;
  @ApiProperty({ enum: ['subscription', 'session'] }) kind!: string;
  @ApiPropertyOptional({ description: 'the subscription filter (kind subscription)' }) filter?: string;
}

export class PolicyApplyResultDto {
  @ApiProperty({ type: PolicyRolesDiffDto }) roles!: PolicyRolesDiffDto;
  @ApiProperty({ type: PolicyUsersDiffDto }) users!: PolicyUsersDiffDto;
  @ApiProperty({
    type: [PolicyRevocationDto],
    description:
      'the live subscriptions and sessions the change revokes (would revoke, for a dry run) on every gateway',
  })
  revokes!: PolicyRevocationDto[];
  @ApiProperty({ type: GatewayCoverageDto }) gateways!: GatewayCoverageDto;
  @ApiProperty({ description: 'false for a dry run' }) applied!: boolean;
}
