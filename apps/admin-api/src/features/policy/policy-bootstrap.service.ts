import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@gatehouse/audit';
import { UserService } from '@gatehouse/identity';
import { ADMIN_API_CONFIG, type AdminApiConfig } from '../../config/admin-api.config';
import { ConfigError } from '../../config/config-error';
import { policySummaryEvent } from './policy-audit';
import { PolicyAppService } from './policy.app-service';

/**
 * `GATEHOUSE_BOOTSTRAP_FILE` (issue 13, ADR 0028; like EMQX's bootstrap file): the document is applied
 * once, at the first start: when the database holds no bootstrap record yet. The record is written in
 * the apply's transaction (under its lock), so two instances starting together apply it once, and a
 * restart, or a changed file, applies nothing. Applied as the initial admin (ADMIN_USERNAME), without
 * prune, audited as `policy.apply`.
 */
@Injectable()
export class PolicyBootstrap {
  private readonly logger = new Logger('Gatehouse');

  constructor(
    @Inject(ADMIN_API_CONFIG) private readonly config: AdminApiConfig,
    private readonly users: UserService,
    private readonly policy: PolicyAppService,
    private readonly audit: AuditService,
  ) {}

  /** Runs after the initial admin exists (after the application bootstrap hooks), before listening. */
  async run(): Promise<void> {
    const file = this.config.policy.bootstrap;
    if (!file) return;
    const admin = await this.users.findByUsername(this.config.identity.adminUsername);
    const actor = admin ? { id: admin.id, username: admin.username } : null;
    try {
      if (!actor) {
        throw new Error(
          `the initial admin "${this.config.identity.adminUsername}" (ADMIN_USERNAME) does not exist to apply it as`,
        );
      }
      const result = await this.policy.apply(
        actor,
        { document: file.document, dryRun: false, prune: false },
        null,
        { sha256: file.sha256 },
      );
      if (result.alreadyBootstrapped) {
        this.logger.log(
          `GATEHOUSE_BOOTSTRAP_FILE: applied at the first start already; ${file.path} is not applied again`,
        );
        return;
      }
      await this.audit.record(policySummaryEvent(result, actor, null));
      this.logger.log(
        `GATEHOUSE_BOOTSTRAP_FILE: ${file.path} applied (roles: ${result.roles.created.length} created, ${result.roles.changed.length} changed; users: ${result.users.created.length} created, ${result.users.changed.length} changed)`,
      );
    } catch (err) {
      if (this.isAlreadyRecorded(err)) return;
      throw new ConfigError(
        'GATEHOUSE_BOOTSTRAP_FILE',
        `${file.path} could not be applied: ${(err as Error).message}`,
      );
    }
  }

  private isAlreadyRecorded(err: unknown): boolean {
    return (
      (err as { code?: string }).code === '23505' && /policy_bootstrap/.test(String((err as Error).message))
    );
  }
}
