import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A permission held directly by a user or by a role (exactly one of the two owners is set). */
@Entity('permissions')
export class PermissionEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'uuid', nullable: true }) roleId!: string | null;
  @Column({ type: 'uuid', nullable: true }) userId!: string | null;
  @Column({ type: 'varchar', length: 8 }) context!: 'mqtt' | 'http';
  @Column({ type: 'text' }) resource!: string;
  @Column({ type: 'varchar', length: 16 }) operation!: 'read' | 'write' | 'readWrite';
  @Column({ type: 'varchar', length: 8, default: 'allow' }) effect!: 'allow' | 'deny';
  @Column({ type: 'smallint', nullable: true }) maxQos!: 0 | 1 | 2 | null;
  @Column({ type: 'boolean', nullable: true }) retain!: boolean | null;
  @Column({ type: 'integer', default: 0 }) position!: number;
}
