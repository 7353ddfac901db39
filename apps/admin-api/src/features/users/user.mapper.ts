import { permissionExtras } from '@gatehouse/contracts';
import type { EffectivePermissionView, PermissionView, TokenView, UserView } from '@gatehouse/identity';
import type { PermissionResponseDto } from '../shared/permission.dto';
import type { EffectivePermissionDto, TokenResponseDto, UserResponseDto } from './user.dto';

/** Whitelisting mappers: only these fields ever reach a response. */
export const toPermissionResponse = (p: PermissionView): PermissionResponseDto => ({
  id: p.id,
  context: p.context,
  resource: p.resource,
  operation: p.operation,
  ...permissionExtras(p),
});

export const toUserResponse = (u: UserView): UserResponseDto => ({
  id: u.id,
  username: u.username,
  identityProvider: u.identityProvider,
  grantTypes: u.grantTypes.map((g) => ({ method: g.method, isRequired: g.isRequired })),
  roles: [...u.roles],
  groupRoles: [...u.groupRoles],
  externalGroups: u.externalGroups ? [...u.externalGroups] : null,
  permissions: u.permissions.map(toPermissionResponse),
  enabled: u.enabled,
  mqttPublishPrefix: u.mqttPublishPrefix,
  enforceMFAEnrollment: u.enforceMFAEnrollment,
  certificates: u.certificates.map((c) => ({
    fingerprint: c.fingerprint,
    serial: c.serial,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    revokedAt: c.revokedAt,
  })),
  createdAt: u.createdAt,
  updatedAt: u.updatedAt,
  lastLoginAt: u.lastLoginAt,
  passwordChangeRequired: u.passwordChangeRequired,
  version: u.version,
});

export const toEffectivePermission = (e: EffectivePermissionView): EffectivePermissionDto => ({
  permission: toPermissionResponse(e.permission),
  via: e.via,
  ...(e.roleName ? { roleName: e.roleName } : {}),
});

export const toTokenResponse = (t: TokenView): TokenResponseDto => ({
  id: t.id,
  label: t.label,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
  revokedAt: t.revokedAt,
  lastUsedAt: t.lastUsedAt,
});
