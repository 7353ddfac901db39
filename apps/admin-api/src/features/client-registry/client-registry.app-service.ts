import { Injectable } from '@nestjs/common';
import {
  ApprovalService,
  type GrantResult,
  type RegisterOutcome,
  type RegistrationRequestView,
  RegistrationService,
  type RegistryStateView,
  RegistryStateService,
} from '@gatehouse/client-registry';
import type { AuthSession } from '@gatehouse/identity';
import type { GrantRequestDto, ListRequestsQueryDto, RegisterDto } from './client-registry.dto';

/** Use cases of /api/client-registry (SPEC 4): lib calls (the grant route declares what it hands out, `@HandsOut`). */
@Injectable()
export class ClientRegistryAppService {
  constructor(
    private readonly state: RegistryStateService,
    private readonly registrations: RegistrationService,
    private readonly approvals: ApprovalService,
  ) {}

  getState(): Promise<RegistryStateView> {
    return this.state.get();
  }

  unlock(durationMs: number | undefined): Promise<RegistryStateView> {
    return this.state.unlock(durationMs);
  }

  lock(): Promise<RegistryStateView> {
    return this.state.lock();
  }

  register(dto: RegisterDto, ip: string | undefined): Promise<RegisterOutcome> {
    return this.registrations.register({ ...pickRegister(dto), ip });
  }

  list(q: ListRequestsQueryDto): Promise<{ items: RegistrationRequestView[]; nextCursor: string | null }> {
    return this.approvals.list({ state: q.state, limit: q.limit, cursor: q.cursor });
  }

  get(id: string): Promise<RegistrationRequestView> {
    return this.approvals.get(id);
  }

  grant(session: AuthSession, id: string, dto: GrantRequestDto): Promise<GrantResult> {
    return this.approvals.grant(id, { roles: dto.roles, permissions: dto.permissions }, session.userId);
  }

  reject(session: AuthSession, id: string): Promise<RegistrationRequestView> {
    return this.approvals.reject(id, session.userId);
  }
}

/** Whitelist of what a device may send (no spreading of the body). */
function pickRegister(dto: RegisterDto) {
  return {
    username: dto.username,
    ...(dto.password !== undefined ? { password: dto.password } : {}),
    ...(dto.csr !== undefined ? { csr: dto.csr } : {}),
    ...(dto.context !== undefined ? { context: dto.context } : {}),
    ...(dto.requestedRoles ? { requestedRoles: [...dto.requestedRoles] } : {}),
    ...(dto.requestedPermissions
      ? {
          requestedPermissions: dto.requestedPermissions.map((p) => ({
            context: p.context,
            resource: p.resource,
            operation: p.operation,
          })),
        }
      : {}),
  };
}
