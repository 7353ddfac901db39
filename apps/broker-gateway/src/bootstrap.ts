import type { AddressInfo, Server as NetServer } from 'node:net';
import type { INestMicroservice, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ListenError, createAppLogger, formatTcpUrl, transportServerOptions } from '@gatehouse/contracts';
import { BrokerGatewayModule } from './broker-gateway.module';
import { MqttListeners, type ListenerPorts } from './broker/mqtt-listeners.service';
import { loadGatewayConfig, type GatewayConfig } from './config/gateway.config';
import { GatewayHttp } from './metrics/gateway-http.service';
import { GatewayRegistration } from './transport/gateway-registration.service';

export interface BrokerGateway {
  app: INestMicroservice;
  config: GatewayConfig;
  ports: ListenerPorts;
  /** One URL per MQTT listener. */
  urls: string[];
  /** `/metrics` and `/health/*` (`GATEWAY_HTTP_HOST`:`GATEWAY_HTTP_PORT`), the address bound. */
  httpUrl: string;
  /** The same on a loopback address when bound to every interface (what a local client calls). */
  localHttpUrl: string;
  /** Where change events arrive (loopback TCP transport), or the NATS URL. */
  eventUrl: string;
  close(): Promise<void>;
}

/**
 * Creates and starts the broker gateway: a Nest microservice whose transport server receives the change
 * events (loopback TCP listener announced to admin-api, or a NATS subscription), plus the MQTT listeners.
 * Throws a `GatewayConfigError` naming the variable on bad configuration.
 */
export async function createBrokerGateway(
  env: Record<string, string | undefined> = process.env,
  opts: { logger?: LoggerService } = {},
): Promise<BrokerGateway> {
  const config = loadGatewayConfig(env);
  const logger = opts.logger ?? createAppLogger('broker-gateway', config.logLevel);
  const serverOptions =
    config.transport.kind === 'tcp'
      ? transportServerOptions({ kind: 'tcp', url: '', host: config.eventHost, port: config.eventPort })
      : transportServerOptions(config.transport);
  const app = await NestFactory.createMicroservice(BrokerGatewayModule.forRoot(config), {
    ...serverOptions,
    logger,
  });
  app.enableShutdownHooks();
  try {
    await app.listen();
    let eventUrl = config.transport.url;
    if (config.transport.kind === 'tcp') {
      const port = (app.unwrap<NetServer>().address() as AddressInfo).port;
      eventUrl = formatTcpUrl(config.eventAdvertisedHost, port);
      await app.get(GatewayRegistration).start({ host: config.eventAdvertisedHost, port });
    }
    const listeners = app.get(MqttListeners);
    const http = app.get(GatewayHttp);
    const wildcard = config.httpHost === '0.0.0.0' || config.httpHost === '::';
    return {
      app,
      config,
      ports: listeners.ports,
      urls: listeners.urls(),
      httpUrl: http.url,
      localHttpUrl: wildcard ? `http://127.0.0.1:${http.port}` : http.url,
      eventUrl,
      close: () => app.close(),
    };
  } catch (err) {
    await app.close().catch(() => undefined);
    // the MQTT listeners name their own variable; what is left is the change-event listener
    throw config.transport.kind === 'tcp'
      ? ListenError.from(err, 'GATEWAY_EVENT_PORT', config.eventPort, config.eventHost, 'GATEWAY_EVENT_HOST')
      : err;
  }
}
