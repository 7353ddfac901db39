import type { GrantType } from './entities';

/** A permission as stored (SPEC 1.1). Absent `effect` = `allow`; absent limits = none. */
export interface PermissionView {
  id: string;
  context: 'mqtt' | 'http';
  resource: string;
  operation: 'read' | 'write' | 'readWrite';
  effect?: 'allow' | 'deny';
  maxQos?: 0 | 1 | 2;
  retain?: boolean;
}

export type PermissionInput = Omit<PermissionView, 'id'>;

/** A client certificate registered on a user (SPEC 1.3): public facts only. */
export interface CertificateView {
  fingerprint: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  revokedAt: Date | null;
}

/** A user as the identity lib hands it out: never a hash or a secret. */
export interface UserView {
  id: string;
  username: string;
  identityProvider: string;
  grantTypes: GrantType[];
  roles: string[];
  /** Roles conferred by the user's directory groups at its last login (SPEC 2.1a); not assignable. */
  groupRoles: string[];
  /** A federated user's directory groups at its last login (lower case cn and DN); null for a local user. */
  externalGroups: string[] | null;
  permissions: PermissionView[];
  enabled: boolean;
  mqttPublishPrefix: string | null;
  enforceMFAEnrollment: boolean;
  certificates: CertificateView[];
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt: Date | null;
  /** A generated initial password that has not been changed yet (ADR 0010). */
  passwordChangeRequired: boolean;
  version: number;
}

export interface RoleView {
  id: string;
  name: string;
  description: string | null;
  permissions: PermissionView[];
  /** Directory groups (cn or DN) whose members hold the role (SPEC 2.1a). */
  externalGroups: string[];
  builtIn: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** One effective permission and where it comes from. */
export interface EffectivePermissionView {
  permission: PermissionView;
  /** `user` for a direct permission, else the id of the granting role. */
  via: string;
  roleName?: string;
}

/** One distinct (context, resource, operation) and who holds it directly (the permissions view, SPEC 2.3). */
export interface PermissionHolders {
  context: string;
  resource: string;
  operation: string;
  effect: 'allow' | 'deny';
  maxQos?: 0 | 1 | 2;
  retain?: boolean;
  users: { id: string; name: string }[];
  roles: { id: string; name: string }[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string;
}

/** How the caller states the version it updates: in the body (409 when stale) or If-Match (412). */
export interface ExpectedVersion {
  version: number;
  via: 'body' | 'if-match';
}

export interface CreateUserInput {
  username: string;
  password?: string;
  roles?: string[];
  permissions?: PermissionInput[];
  enabled?: boolean;
  mqttPublishPrefix?: string | null;
  grantTypes?: GrantType[];
  enforceMFAEnrollment?: boolean;
}

export type UpdateUserInput = Partial<Omit<CreateUserInput, 'username'>>;

export interface CreateRoleInput {
  name: string;
  description?: string | null;
  permissions?: PermissionInput[];
  externalGroups?: string[];
}

export type UpdateRoleInput = Partial<CreateRoleInput>;

/** Who saved a version of a role (kept as text: the user may be deleted later). */
export interface RoleActor {
  id: string;
  username: string;
}

/** What a role version holds: the role's whole content (ADR 0021: snapshots, not deltas). */
export interface RoleContent {
  name: string;
  description: string | null;
  permissions: PermissionInput[];
}

/** How a version came about; `backfill`: the content a role had when history started (the migration). */
export type RoleVersionKind = 'create' | 'update' | 'rollback' | 'backfill';

/**
 * A version's difference to the one before it: the fields that changed, before and after, and the
 * permissions added and removed (compared with effect and limits; order is not content).
 */
export interface RoleVersionChanges {
  name?: { before: string | null; after: string };
  description?: { before: string | null; after: string | null };
  permissions?: { added: PermissionInput[]; removed: PermissionInput[] };
}

/** One saved version of a role (SPEC 2.3 `GET /api/roles/{id}/versions`). */
export interface RoleVersionView extends RoleContent {
  roleId: string;
  /** 1, 2, … per role, without gaps. */
  version: number;
  kind: RoleVersionKind;
  /** For a rollback: the version whose content it restored. */
  rolledBackTo: number | null;
  /** The difference to the previous version; `null` for a backfilled version 1. */
  changes: RoleVersionChanges | null;
  /** `null` when no user is known (a backfilled version). */
  actor: RoleActor | null;
  createdAt: Date;
}
