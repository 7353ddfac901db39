import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ListenError } from '@gatehouse/contracts';
import { MqttListeners } from '../broker/mqtt-listeners.service';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { GatewayRegistration } from '../transport/gateway-registration.service';
import { IdentityClient } from '../transport/identity-client.service';
import { GatewayMetrics } from './gateway-metrics.service';

/**
 * The gateway's HTTP server on `GATEWAY_HTTP_HOST`:`GATEWAY_HTTP_PORT` (SPEC 6, 7): `GET /metrics`
 * (Prometheus text), `GET /health/live` (200 while the process runs), `GET /health/ready` (200 when
 * the MQTT listeners are open and the transport to admin-api is connected, else 503). Nothing else.
 */
@Injectable()
export class GatewayHttp implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('GatewayHttp');
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private bound?: AddressInfo;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly metrics: GatewayMetrics,
    private readonly listeners: MqttListeners,
    private readonly registration: GatewayRegistration,
    private readonly identity: IdentityClient,
  ) {}

  /** `http://<bound address>:<port>`, for the start-up line. */
  get url(): string {
    if (!this.bound) throw new Error('gateway HTTP server is not open yet');
    const host = this.bound.address.includes(':') ? `[${this.bound.address}]` : this.bound.address;
    return `http://${host}:${this.bound.port}`;
  }

  get port(): number {
    if (!this.bound) throw new Error('gateway HTTP server is not open yet');
    return this.bound.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((req, res) => {
      this.answer(req, res).catch((err: unknown) => {
        this.logger.error(`${req.method} ${req.url}: ${(err as Error).message}`);
        if (!res.headersSent) send(res, 500, 'internal error\n');
        else res.destroy();
      });
    });
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    const { httpHost: host, httpPort: port } = this.config;
    this.bound = await new Promise<AddressInfo>((resolve, reject) => {
      const fail = (err: Error): void =>
        reject(ListenError.from(err, 'GATEWAY_HTTP_PORT', port, host, 'GATEWAY_HTTP_HOST'));
      server.once('error', fail);
      server.listen({ port, host }, () => {
        server.off('error', fail);
        resolve(server.address() as AddressInfo);
      });
    });
    this.server = server;
  }

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/metrics':
        send(res, 200, await this.metrics.registry.metrics(), this.metrics.registry.contentType);
        return;
      case '/health/live':
        sendJson(res, 200, { status: 'ok' });
        return;
      case '/health/ready': {
        const listeners = this.listeners.open ? 'ok' : 'down';
        const transport = (await this.transportConnected()) ? 'ok' : 'down';
        const ok = listeners === 'ok' && transport === 'ok';
        sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', listeners, transport });
        return;
      }
      default:
        send(res, 404, 'not found: /metrics, /health/live, /health/ready\n');
    }
  }

  /**
   * Loopback TCP: admin-api took this gateway's last registration (it can send change events); NATS:
   * the client is connected to the NATS server.
   */
  private async transportConnected(): Promise<boolean> {
    if (this.config.transport.kind === 'tcp') return this.registration.registered;
    return this.identity.connected();
  }
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  send(res, status, JSON.stringify(body), 'application/json');
}
