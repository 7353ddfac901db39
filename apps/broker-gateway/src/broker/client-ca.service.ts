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

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly identity: IdentityClient,
  ) {}

  /**
   * Fetches once (awaited); on failure keeps trying in the background and calls `onLoaded` when it
   * succeeds, so the listener can update its secure context.
   */
  async start(onLoaded: (certificates: string[]) => void): Promise<string[] | null> {
    const first = await this.fetch();
    if (first) return first;
    this.logger.warn(
      'admin-api did not answer with the Gatehouse CA yet: client certificates are not accepted until it does',
    );
    this.timer = setInterval(() => {
      void this.fetch().then((certificates) => {
        if (!certificates || !this.timer) return; // not yet, or an earlier retry already delivered
        clearInterval(this.timer);
        this.timer = undefined;
        this.logger.log('Gatehouse CA received: client certificates are accepted');
        onLoaded(certificates);
      });
    }, this.config.registrationIntervalMs);
    this.timer.unref();
    return null;
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The Gatehouse CA certificates, or null when admin-api did not answer with any. */
  private async fetch(): Promise<string[] | null> {
    try {
      const certs = await this.identity.caCertificates();
      return certs.length === 0 ? null : certs;
    } catch {
      return null;
    }
  }
}
