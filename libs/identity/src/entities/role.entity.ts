import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('roles')
export class RoleEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 64 }) name!: string;
  @Column({ type: 'varchar', length: 1024, nullable: true }) description!: string | null;
  @Column({ type: 'boolean', default: false }) builtIn!: boolean;
  @Column({ type: 'integer', default: 1 }) version!: number;
  /** Directory groups (cn or DN, compared regardless of case) whose members hold the role (SPEC 2.1a). */
  @Column({ type: 'text', array: true, default: () => "'{}'" }) externalGroups!: string[];
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt!: Date;
}
