import type { RegistrationRequestView } from '@gatehouse/client-registry';
import type { RegistrationRequestDto } from './client-registry.dto';

/** Whitelisting mapper: only these fields of a request ever reach a response. */
export const toRegistrationRequestResponse = (r: RegistrationRequestView): RegistrationRequestDto => ({
  id: r.id,
  username: r.username,
  state: r.state,
  source: r.source,
  pairingId: r.pairingId,
  hasPassword: r.hasPassword,
  hasCsr: r.hasCsr,
  context: r.context,
  requestedRoles: [...r.requestedRoles],
  requestedPermissions: r.requestedPermissions.map((p) => ({
    context: p.context,
    resource: p.resource,
    operation: p.operation,
  })),
  clientId: r.clientId,
  remoteAddress: r.remoteAddress,
  attempts: r.attempts,
  createdAt: r.createdAt,
  lastSeenAt: r.lastSeenAt,
  expiresAt: r.expiresAt,
  decidedAt: r.decidedAt,
  decidedBy: r.decidedBy,
  userId: r.userId,
  certificateFingerprint: r.certificateFingerprint,
});
