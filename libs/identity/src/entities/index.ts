import { PermissionEntity } from './permission.entity';
import { RoleEntity } from './role.entity';
import { SigningKeyEntity } from './signing-key.entity';
import { TokenEntity } from './token.entity';
import { UserCertificateEntity } from './user-certificate.entity';
import { UserRoleEntity } from './user-role.entity';
import { UserEntity } from './user.entity';

export {
  PermissionEntity,
  RoleEntity,
  SigningKeyEntity,
  TokenEntity,
  UserCertificateEntity,
  UserEntity,
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
];
