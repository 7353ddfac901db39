import { AuditChainEntity } from './audit-chain.entity';
import { AuditEventEntity } from './audit-event.entity';

export { AuditChainEntity, AuditEventEntity };
export const auditEntities = [AuditEventEntity, AuditChainEntity];
