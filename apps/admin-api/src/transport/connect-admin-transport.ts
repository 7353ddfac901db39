import type { AddressInfo, Server as NetServer } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import {
  ADMIN_API_NATS_QUEUE,
  formatTcpUrl,
  parseTransportUrl,
  transportServerOptions,
} from '@gatehouse/contracts';
import { TransportHealth } from './transport-health';

/**
 * Starts admin-api's transport server in the hybrid app (SPEC 5): loopback TCP by default
 * (`tcp://127.0.0.1:3001`, port 0 allowed), or NATS with the request handlers in a queue group so that
 * several admin-api instances share them. Returns the real bound address.
 */
export async function connectAdminTransport(
  app: INestApplication,
  transportUrl: string | undefined,
): Promise<{ url: string }> {
  const endpoint = parseTransportUrl(transportUrl);
  const microservice = app.connectMicroservice(
    transportServerOptions(endpoint, { queue: ADMIN_API_NATS_QUEUE }),
  );
  await app.startAllMicroservices();
  app.get(TransportHealth).watch(endpoint.kind, microservice);
  if (endpoint.kind === 'nats') return { url: endpoint.url };
  const address = microservice.unwrap<NetServer>().address() as AddressInfo;
  return { url: formatTcpUrl(endpoint.host, address.port) };
}
