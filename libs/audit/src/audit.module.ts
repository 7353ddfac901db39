import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AUDIT_OPTIONS, type AuditOptions } from './audit.options';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { auditEntities } from './entities';

/** The audit trail (SPEC 6). Needs the PersistenceModule. */
@Module({})
export class AuditModule {
  static forRoot(options: AuditOptions): DynamicModule {
    return {
      module: AuditModule,
      global: true,
      imports: [TypeOrmModule.forFeature(auditEntities)],
      providers: [{ provide: AUDIT_OPTIONS, useValue: options }, AuditRepository, AuditService],
      exports: [AuditService],
    };
  }
}
