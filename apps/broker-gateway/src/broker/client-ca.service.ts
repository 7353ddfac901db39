import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { IdentityClient } from '../transport/identity-client.service';

/**
 * The Gatehouse CA the TLS listener verifies client certificates against (SPEC 3, ADR 0200). The gateway
 * has no database and may run on another host than admin-api, so it asks admin-api over the transport
 * (`registry.ca-certificates`) at start, and retries every registration interval until it has an answer.
 */
@Injectable()
export class ClientCaService implements OnApplicationShutdown {
  private readonly logger = new Logger('ClientCa');
  private timer?: NodeJS.Timeout;
  private certificates: string[] | null = null;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly identity: IdentityClient,
  ) {}

  /** The Gatehouse CA certificates, or null while admin-api has not answered yet. */
  get current(): string[] | null {
    return this.certificates;
  }

  /**
   * Fetches once (awaited); on failure keeps trying in the background and calls `onLoaded` when it
   * succeeds, so the listener can update its secure context.
   */
  async start(onLoaded: (certificates: string[]) => void): Promise<string[] | null> {
    if (await this.fetch()) return this.certificates;
    this.logger.warn(
      'admin-api did not answer with the Gatehouse CA yet: client certificates are not accepted until it does',
    );
    this.timer = setInterval(() => {
      void this.fetch().then((ok) => {
        if (!ok || !this.certificates) return;
        clearInterval(this.timer);
        this.timer = undefined;
        this.logger.log('Gatehouse CA received: client certificates are accepted');
        onLoaded(this.certificates);
      });
    }, this.config.registrationIntervalMs);
    this.timer.unref();
    return null;
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async fetch(): Promise<boolean> {
    try {
      const certs = await this.identity.caCertificates();
      if (certs.length === 0) return false;
      this.certificates = certs;
      return true;
    } catch {
      return false;
    }
  }
}
