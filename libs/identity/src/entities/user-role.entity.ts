import { Entity, PrimaryColumn } from 'typeorm';

@Entity('user_roles')
export class UserRoleEntity {
  @PrimaryColumn({ type: 'uuid' }) userId!: string;
  @PrimaryColumn({ type: 'uuid' }) roleId!: string;
}
