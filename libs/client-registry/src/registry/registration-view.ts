import type { RegistrationRequestEntity, RegistrationSource, RegistrationState } from '../entities';

/** A registration request as the lib hands it out: never the password hash. */
export interface RegistrationRequestView {
  id: string;
  username: string;
  state: RegistrationState;
  source: RegistrationSource;
  pairingId: string;
  hasPassword: boolean;
  hasCsr: boolean;
  context: string | null;
  requestedRoles: string[];
  requestedPermissions: {
    context: 'mqtt' | 'http';
    resource: string;
    operation: 'read' | 'write' | 'readWrite';
  }[];
  clientId: string | null;
  remoteAddress: string | null;
  attempts: number;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  decidedAt: Date | null;
  decidedBy: string | null;
  userId: string | null;
  certificateFingerprint: string | null;
}

/** Row → view, by whitelist. */
export function toRequestView(r: RegistrationRequestEntity): RegistrationRequestView {
  return {
    id: r.id,
    username: r.username,
    state: r.state,
    source: r.source,
    pairingId: r.pairingId,
    hasPassword: r.hasPassword,
    hasCsr: r.csrPem !== null,
    context: r.context,
    requestedRoles: r.requestedRoles,
    requestedPermissions: r.requestedPermissions,
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
  };
}
