import { type Server as HttpServer, createServer as createHttpServer } from 'node:http';
import {
  type AddressInfo,
  type Server as NetServer,
  type Socket,
  createServer as createNetServer,
} from 'node:net';
import { type Server as TlsServer, createServer as createTlsServer } from 'node:tls';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { ListenError } from '@gatehouse/contracts';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { AEDES_BROKER, type AedesBroker, type AedesClient } from './aedes.types';
import { ClientCaService } from './client-ca.service';
import { notePeer } from './connection-errors';
import { type ListenerName, clientFields, noteConnection } from './connection-id';
import { remoteAddressOf } from './hooks/remote-address';
import { PRE_AUTH_MAX_BYTES, guardPacketLimits } from './packet-limits';
import { loadTlsMaterial, type TlsMaterial } from './tls-material';

export interface ListenerPorts {
  /** The address the listeners are bound to (`MQTT_HOST` resolved). */
  host: string;
  mqtt: number;
  ws?: number;
  tls?: number;
}

/**
 * The MQTT listeners (SPEC 3): TCP, WebSocket on path `/mqtt`, and TLS when a server certificate is
 * configured or could be generated. Opened in `onApplicationBootstrap`, closed before shutdown (the
 * broker last, so that every client gets its connection closed). Port 0 binds any free port.
 */
@Injectable()
export class MqttListeners implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MqttListeners.name);
  private tcp?: NetServer;
  private tls?: TlsServer;
  private http?: HttpServer;
  private wss?: WebSocketServer;
  private readonly sockets = new Set<Socket>();
  private bound: ListenerPorts | null = null;
  private readonly wsAfterConnack = new WeakMap<AedesClient, () => void>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(AEDES_BROKER) private readonly broker: AedesBroker,
    private readonly clientCa: ClientCaService,
  ) {}

  /** Whether the listeners are open (for readiness). */
  get open(): boolean {
    return this.bound !== null;
  }

  /** The bound ports (after bootstrap). */
  get ports(): ListenerPorts {
    if (!this.bound) throw new Error('MQTT listeners are not open yet');
    return this.bound;
  }

  /** One URL per listener with the address actually bound (`0.0.0.0`: every IPv4 interface), for the start-up lines. */
  urls(): string[] {
    const p = this.ports;
    const host = p.host.includes(':') ? `[${p.host}]` : p.host;
    return [
      `mqtt://${host}:${p.mqtt}`,
      ...(p.tls !== undefined ? [`mqtts://${host}:${p.tls}`] : []),
      ...(p.ws !== undefined ? [`ws://${host}:${p.ws}/mqtt`] : []),
    ];
  }

  async onApplicationBootstrap(): Promise<void> {
    const host = this.config.mqttHost;
    const maxPacketSize = this.config.maxPacketSize;
    const handle = (socket: Socket, listener: ListenerName): void => {
      this.track(socket);
      const client = this.broker.handle(socket) as AedesClient;
      this.accepted(client, listener);
      guardPacketLimits(client, maxPacketSize);
    };
    this.tcp = createNetServer((socket) => handle(socket, 'mqtt'));
    const mqtt = await listen(this.tcp, 'MQTT_PORT', this.config.mqttPort, host, this.config.listenBacklog);
    const ports: ListenerPorts = { host: mqtt.address, mqtt: mqtt.port };

    if (this.config.tlsPort !== null) {
      const material = await loadTlsMaterial(this.config);
      if (material) {
        // Client certificates (SPEC 3): requested, verified against the Gatehouse CA and MQTT_TLS_CA_FILE,
        // never required (password logins over TLS stay possible); the authenticate hook only trusts
        // a certificate the handshake verified (`socket.authorized`).
        const gatehouseCa = await this.clientCa.start((certs) =>
          this.tls?.setSecureContext(secureContext(material, certs)),
        );
        this.tls = createTlsServer(
          { ...secureContext(material, gatehouseCa ?? []), requestCert: true, rejectUnauthorized: false },
          (socket) => handle(socket, 'mqtts'),
        );
        ports.tls = (
          await listen(this.tls, 'MQTT_TLS_PORT', this.config.tlsPort, host, this.config.listenBacklog)
        ).port;
        if (material.generated)
          this.logger.log(`generated a self-signed server certificate: ${material.certFile}`);
      } else {
        this.logger.warn(
          'TLS listener off: no MQTT_TLS_CERT_FILE/MQTT_TLS_KEY_FILE and no certificate could be generated into DATA_DIR/tls',
        );
      }
    }

    if (this.config.wsPort !== null) {
      this.http = createHttpServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect to /mqtt\n');
      });
      this.http.on('connection', (s: Socket) => this.track(s));
      // listening first: the WebSocket server re-emits the HTTP server's errors, a port in use included
      ports.ws = (
        await listen(this.http, 'MQTT_WS_PORT', this.config.wsPort, host, this.config.listenBacklog)
      ).port;
      // ws buffers a whole message before the MQTT parser sees it: bound it too (default 100 MiB), at
      // the pre-authentication size until the CONNACK went out (SPEC 3 "Limits").
      this.wss = new WebSocketServer({ server: this.http, path: '/mqtt', maxPayload: maxPacketSize });
      this.wss.on('connection', (ws, req) => {
        const receiver = (ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
        if (receiver && typeof receiver._maxPayload === 'number')
          receiver._maxPayload = Math.min(PRE_AUTH_MAX_BYTES, maxPacketSize);
        const stream = createWebSocketStream(ws);
        stream.on('error', () => ws.terminate());
        const client = this.broker.handle(stream, req) as AedesClient;
        this.accepted(client, 'ws');
        guardPacketLimits(client, maxPacketSize);
        if (receiver) this.wsAfterConnack.set(client, () => (receiver._maxPayload = maxPacketSize));
      });
      const events = this.broker as unknown as {
        on(e: 'connackSent', l: (packet: { returnCode?: number }, client: AedesClient) => void): void;
      };
      events.on('connackSent', (packet, client) => {
        const raise = this.wsAfterConnack.get(client);
        if (raise && packet.returnCode === 0) raise();
        this.wsAfterConnack.delete(client);
      });
    }
    this.bound = ports;
  }

  async beforeApplicationShutdown(): Promise<void> {
    const closing = [this.tcp, this.tls, this.http]
      .filter((s): s is NetServer => !!s)
      .map((s) => new Promise<void>((r) => s.close(() => r())));
    this.wss?.close();
    await new Promise<void>((r) => this.broker.close(() => r()));
    // aedes closes its message bus but not its persistence: Redis connections would stay open
    if (this.config.redisUrl) await this.broker.persistence.destroy().catch(() => undefined);
    for (const s of this.sockets) s.destroy();
    await Promise.all(closing);
  }

  /** Every accepted connection gets its connection id (in every log line about it) and is noted with its peer. */
  private accepted(client: AedesClient, listener: ListenerName): void {
    noteConnection(client, listener);
    notePeer(client);
    this.logger.debug(`${listener} connection from ${remoteAddressOf(client) ?? '?'}`, clientFields(client));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}

/**
 * Server certificate and the CAs accepted for client certificates. With none known yet, the server's own
 * certificate stands in (nobody else holds its key), so that Node's default root store is never used.
 */
function secureContext(
  material: TlsMaterial,
  gatehouseCa: string[],
): { cert: Buffer; key: Buffer; ca: (string | Buffer)[] } {
  const ca: (string | Buffer)[] = [...gatehouseCa, ...(material.ca ? [material.ca] : [])];
  return { cert: material.cert, key: material.key, ca: ca.length > 0 ? ca : [material.cert] };
}

/** Listens; a port in use or an address not on this machine rejects with a {@link ListenError} naming `variable`. */
function listen(
  server: NetServer,
  variable: string,
  port: number,
  host: string,
  backlog: number,
): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      const named: Error = ListenError.from(err, variable, port, host, 'MQTT_HOST');
      reject(named);
    };
    server.once('error', fail);
    server.listen({ port, host, backlog }, () => {
      server.off('error', fail);
      resolve(server.address() as AddressInfo);
    });
  });
}
