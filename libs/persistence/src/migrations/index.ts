import { Initial1764300000000 } from './1764300000000-initial';
import { ClientRegistry1764400000000 } from './1764400000000-client-registry';
import { UsernameCase1764500000000 } from './1764500000000-username-case';
import { PasswordChangeRequired1764600000000 } from './1764600000000-password-change-required';
import { Mfa1764700000000 } from './1764700000000-mfa';
import { Audit1764800000000 } from './1764800000000-audit';
import { PermissionEffect1765000000000 } from './1765000000000-permission-effect';
import { RoleVersions1765100000000 } from './1765100000000-role-versions';
import { LdapIdentity1765200000000 } from './1765200000000-ldap-identity';
import { Oidc1765300000000 } from './1765300000000-oidc';
import { FederatedTokenGrant1765310000000 } from './1765310000000-federated-token-grant';
import { PolicyBootstrap1765400000000 } from './1765400000000-policy-bootstrap';

/** Every migration, in order. Schema changes are made only here (synchronize is off everywhere). */
export const migrations = [
  Initial1764300000000,
  ClientRegistry1764400000000,
  UsernameCase1764500000000,
  PasswordChangeRequired1764600000000,
  Mfa1764700000000,
  Audit1764800000000,
  PermissionEffect1765000000000,
  RoleVersions1765100000000,
  LdapIdentity1765200000000,
  Oidc1765300000000,
  FederatedTokenGrant1765310000000,
  PolicyBootstrap1765400000000,
];
