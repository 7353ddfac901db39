import schema from './policy-document.schema.json';

/** The `apiVersion` of a policy document (issue 13, ADR 0028). */
export const POLICY_API_VERSION = 'gatehouse/v1';
/** The `kind` of a policy document. */
export const POLICY_KIND = 'Policy';

/**
 * The JSON Schema (draft 2020-12) of a policy document: what `GET /api/policy` answers and
 * `POST /api/policy/apply` takes. Published with the SDK; the server validates against it (ajv).
 */
export const POLICY_DOCUMENT_SCHEMA: Readonly<Record<string, unknown>> = schema;

/** A permission as a policy document holds it (SPEC 1.1): `effect` absent = allow, limits absent = none. */
export interface PolicyPermission {
  context: 'mqtt' | 'http';
  resource: string;
  operation: 'read' | 'write' | 'readWrite';
  effect?: 'allow' | 'deny';
  maxQos?: 0 | 1 | 2;
  retain?: boolean;
}

/** A role: its whole content (absent lists are empty, an absent description is none). */
export interface PolicyRole {
  name: string;
  description?: string | null;
  permissions?: PolicyPermission[];
  externalGroups?: string[];
}

/** A user's assignments: role names and direct permissions (never a credential). */
export interface PolicyUser {
  username: string;
  /** Absent = true. */
  enabled?: boolean;
  roles?: string[];
  permissions?: PolicyPermission[];
}

/** Roles and users as one document (the desired state). */
export interface PolicyDocument {
  apiVersion: typeof POLICY_API_VERSION;
  kind: typeof POLICY_KIND;
  roles?: PolicyRole[];
  users?: PolicyUser[];
}

/** One role's difference between the server and a document. */
export interface PolicyRoleChange {
  name: string;
  permissionsAdded: PolicyPermission[];
  permissionsRemoved: PolicyPermission[];
  externalGroupsAdded: string[];
  externalGroupsRemoved: string[];
  description?: { before: string | null; after: string | null };
}

/** One user's difference between the server and a document. */
export interface PolicyUserChange {
  username: string;
  permissionsAdded: PolicyPermission[];
  permissionsRemoved: PolicyPermission[];
  rolesAdded: string[];
  rolesRemoved: string[];
  enabled?: { before: boolean; after: boolean };
}

/** A live session or subscription that applying the document revokes (from every gateway). */
export interface PolicyRevocation {
  clientId: string;
  userId: string;
  username: string;
  gatewayId: string;
  kind: 'subscription' | 'session';
  filter?: string;
}

/** What `POST /api/policy/apply` answers: the difference, what it revokes live, and whether it was applied. */
export interface PolicyApplyResult {
  roles: { created: string[]; changed: PolicyRoleChange[]; deleted: string[] };
  users: { created: string[]; changed: PolicyUserChange[]; deleted: string[] };
  revokes: PolicyRevocation[];
  gateways: { answered: string[]; unanswered: string[]; partial: boolean };
  applied: boolean;
}

/** A stored permission as a document writes it: `effect` only for a deny, the limits only when set. */
export function toPolicyPermission(p: {
  context: 'mqtt' | 'http';
  resource: string;
  operation: 'read' | 'write' | 'readWrite';
  effect?: 'allow' | 'deny' | null;
  maxQos?: 0 | 1 | 2 | null;
  retain?: boolean | null;
}): PolicyPermission {
  return {
    context: p.context,
    resource: p.resource,
    operation: p.operation,
    ...(p.effect === 'deny' ? { effect: 'deny' as const } : {}),
    ...(p.maxQos !== undefined && p.maxQos !== null ? { maxQos: p.maxQos } : {}),
    ...(p.retain !== undefined && p.retain !== null ? { retain: p.retain } : {}),
  };
}
