import { type ClientOptions, type MicroserviceOptions, Transport } from '@nestjs/microservices';

/** Loopback TCP between the apps: needs no server beyond admin-api and the gateway (SPEC 5, 7). */
export const DEFAULT_TRANSPORT_URL = 'tcp://127.0.0.1:3001';

/** NATS queue group of the admin-api request handlers: several admin-api instances share the requests. */
export const ADMIN_API_NATS_QUEUE = 'gatehouse-admin-api';

/** Where the Nest microservice transport between the apps runs, parsed from `TRANSPORT_URL`. */
export type TransportEndpoint =
  { kind: 'tcp'; url: string; host: string; port: number } | { kind: 'nats'; url: string; servers: string[] };

/** A `TRANSPORT_URL` that cannot be used; the message names the variable. */
export class TransportUrlError extends Error {
  readonly code = 'CONTRACTS.INVALID_TRANSPORT_URL';
  readonly variable = 'TRANSPORT_URL';
  constructor(detail: string) {
    super(`TRANSPORT_URL: ${detail}`);
    this.name = 'TransportUrlError';
  }
}

/**
 * Parses `TRANSPORT_URL` (SPEC 7): unset or empty → {@link DEFAULT_TRANSPORT_URL}; `tcp://host:port`
 * (port 0 allowed for the listening side: the OS picks one); `nats://host:port[,nats://host2:port]`
 * (port defaults to 4222). Anything else throws {@link TransportUrlError}.
 */
export function parseTransportUrl(raw: string | undefined): TransportEndpoint {
  const value = raw === undefined || raw.trim() === '' ? DEFAULT_TRANSPORT_URL : raw.trim();
  if (value.startsWith('nats://')) {
    const servers = value.split(',').map((s) => s.trim());
    for (const s of servers) {
      const u = parseUrl(s);
      if (u.protocol !== 'nats:' || !u.hostname)
        throw new TransportUrlError(`"${s}" is not a nats://host:port URL`);
      if (u.port !== '') parsePortText(u.port);
    }
    return { kind: 'nats', url: value, servers };
  }
  if (value.startsWith('tcp://')) {
    const u = parseUrl(value);
    if (!u.hostname) throw new TransportUrlError(`"${value}" has no host (expected tcp://host:port)`);
    if (u.port === '') throw new TransportUrlError(`"${value}" has no port (expected tcp://host:port)`);
    if ((u.pathname !== '' && u.pathname !== '/') || u.search || u.username) {
      throw new TransportUrlError(`"${value}" must be just tcp://host:port`);
    }
    const port = parsePortText(u.port);
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    return { kind: 'tcp', url: formatTcpUrl(host, port), host, port };
  }
  throw new TransportUrlError(`"${value}" must be tcp://host:port or nats://host:port`);
}

/** `tcp://host:port`, with brackets around an IPv6 host. */
export function formatTcpUrl(host: string, port: number): string {
  return `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Options for the listening side of the transport (`app.connectMicroservice` / `createMicroservice`).
 * With NATS, `queue` puts the subscriber in a queue group (request handlers shared between instances);
 * leave it out where every instance must receive every message (the gateways' change events).
 */
export function transportServerOptions(
  endpoint: TransportEndpoint,
  opts: { queue?: string } = {},
): MicroserviceOptions {
  if (endpoint.kind === 'tcp') {
    return { transport: Transport.TCP, options: { host: endpoint.host, port: endpoint.port } };
  }
  return {
    transport: Transport.NATS,
    options: { servers: endpoint.servers, ...(opts.queue ? { queue: opts.queue } : {}) },
  };
}

/** Options for a `ClientProxy` (`ClientProxyFactory.create`) that talks to `endpoint`. */
export function transportClientOptions(endpoint: TransportEndpoint): ClientOptions {
  if (endpoint.kind === 'tcp') {
    return { transport: Transport.TCP, options: { host: endpoint.host, port: endpoint.port } };
  }
  return { transport: Transport.NATS, options: { servers: endpoint.servers } };
}

function parseUrl(value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new TransportUrlError(`"${value}" is not a URL`);
  }
}

function parsePortText(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535)
    throw new TransportUrlError(`port "${text}" must be 0..65535`);
  return Number(text);
}
