import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { PrincipalChangeApplier } from '../sessions/principal-change-applier.service';
import { SessionRegistry } from '../sessions/session-registry.service';
import { IdentityClient } from './identity-client.service';

/**
 * Loopback TCP transport: the gateway announces the address of its change-event listener to admin-api
 * (`GatewayPatterns.REGISTER`) at start and then periodically, so that a restarted admin-api learns it
 * again. After a gap (admin-api unreachable, or restarted: another `instanceId`) events may have been
 * missed, so the principals of every live session are resolved again and applied.
 */
@Injectable()
export class GatewayRegistration implements OnApplicationShutdown {
  private readonly logger = new Logger(GatewayRegistration.name);
  private timer?: NodeJS.Timeout;
  private address?: { host: string; port: number };
  private instanceId?: string;
  private healthy = false;
  private running = false;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly identity: IdentityClient,
    private readonly sessions: SessionRegistry,
    private readonly applier: PrincipalChangeApplier,
  ) {}

  /** Whether admin-api took the last registration (it knows where to send change events). */
  get registered(): boolean {
    return this.healthy;
  }

  /** Registers once (awaited, failures logged) and then every `registrationIntervalMs`. */
  async start(address: { host: string; port: number }): Promise<boolean> {
    this.address = address;
    const ok = await this.registerOnce();
    this.timer = setInterval(() => void this.registerOnce(), this.config.registrationIntervalMs);
    this.timer.unref();
    return ok;
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One registration round; resyncs live sessions after a gap. */
  async registerOnce(): Promise<boolean> {
    if (!this.address || this.running) return this.healthy;
    this.running = true;
    try {
      const answer = await this.identity.register({
        gatewayId: this.config.gatewayId,
        host: this.address.host,
        port: this.address.port,
        registrationIntervalMs: this.config.registrationIntervalMs,
      });
      const restarted =
        this.instanceId !== undefined &&
        answer.instanceId !== undefined &&
        answer.instanceId !== this.instanceId;
      const recovered = !this.healthy && this.instanceId !== undefined;
      if (answer.instanceId) this.instanceId = answer.instanceId;
      if (!this.healthy)
        this.logger.log(
          `registered with admin-api for change events at tcp://${this.address.host}:${this.address.port}`,
        );
      this.healthy = true;
      if (restarted || recovered) await this.resync();
      return true;
    } catch (err) {
      if (this.healthy || this.instanceId === undefined)
        this.logger.warn(
          `admin-api unreachable, change events may be missed until it is back: ${(err as Error).message}`,
        );
      this.healthy = false;
      this.instanceId ??= '';
      return false;
    } finally {
      this.running = false;
    }
  }

  private async resync(): Promise<void> {
    const users = this.sessions.userIds();
    if (users.length > 0)
      this.logger.log(`resynchronizing ${users.length} user(s) after a gap in change events`);
    for (const userId of users) {
      try {
        this.applier.reconcile(userId, await this.identity.resolvePrincipal(userId));
      } catch (err) {
        this.logger.warn(`could not resync user ${userId}: ${(err as Error).message}`);
        this.healthy = false;
        return;
      }
    }
  }
}
