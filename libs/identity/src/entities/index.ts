import { MfaBackupCodeEntity } from './mfa-backup-code.entity';
import { PermissionEntity } from './permission.entity';
import { RoleEntity } from './role.entity';
import { SigningKeyEntity } from './signing-key.entity';
import { TokenEntity } from './token.entity';
import { UserCertificateEntity } from './user-certificate.entity';
import { UserMfaEntity } from './user-mfa.entity';
import { UserRoleEntity } from './user-role.entity';
import { UserEntity } from './user.entity';

export {
  MfaBackupCodeEntity,
  PermissionEntity,
  RoleEntity,
  SigningKeyEntity,
  TokenEntity,
  UserCertificateEntity,
  UserEntity,
  UserMfaEntity,
  UserRoleEntity,
};
export type { GrantType } from './user.entity';
export const identityEntities = [
  UserEntity,
  RoleEntity,
  PermissionEntity,
  UserRoleEntity,
  TokenEntity,
  SigningKeyEntity,
  UserCertificateEntity,
  UserMfaEntity,
  MfaBackupCodeEntity,
];
