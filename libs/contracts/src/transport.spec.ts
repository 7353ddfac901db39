import { Transport } from '@nestjs/microservices';
import {
  DEFAULT_TRANSPORT_URL,
  TransportUrlError,
  parseTransportUrl,
  transportClientOptions,
  transportServerOptions,
} from './transport';

describe('parseTransportUrl (TRANSPORT_URL, SPEC 7)', () => {
  it('defaults to loopback TCP when unset or empty', () => {
    expect(parseTransportUrl(undefined)).toEqual({
      kind: 'tcp',
      url: DEFAULT_TRANSPORT_URL,
      host: '127.0.0.1',
      port: 3001,
    });
    expect(parseTransportUrl('  ')).toEqual(parseTransportUrl(undefined));
  });

  it('parses tcp://host:port, port 0 and IPv6 hosts', () => {
    expect(parseTransportUrl('tcp://10.0.0.5:4000')).toMatchObject({
      kind: 'tcp',
      host: '10.0.0.5',
      port: 4000,
    });
    expect(parseTransportUrl('tcp://127.0.0.1:0')).toMatchObject({ kind: 'tcp', port: 0 });
    expect(parseTransportUrl('tcp://[::1]:5000')).toEqual({
      kind: 'tcp',
      url: 'tcp://[::1]:5000',
      host: '::1',
      port: 5000,
    });
  });

  it('parses nats:// with one or several servers', () => {
    expect(parseTransportUrl('nats://nats:4222')).toEqual({
      kind: 'nats',
      url: 'nats://nats:4222',
      servers: ['nats://nats:4222'],
    });
    expect(parseTransportUrl('nats://a:4222,nats://b:4222')).toMatchObject({
      servers: ['nats://a:4222', 'nats://b:4222'],
    });
  });

  it.each([
    'http://x:1',
    'tcp://x',
    'tcp://x:99999',
    'tcp://x:1/path',
    'nats://',
    'redis://r:6379',
    'garbage',
  ])('refuses %s naming TRANSPORT_URL', (v) => {
    expect(() => parseTransportUrl(v)).toThrow(TransportUrlError);
    expect(() => parseTransportUrl(v)).toThrow(/^TRANSPORT_URL: /);
  });

  it('gives Nest server and client options; the NATS queue only where asked', () => {
    const tcp = parseTransportUrl('tcp://127.0.0.1:0');
    expect(transportServerOptions(tcp)).toEqual({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: 0 },
    });
    expect(transportClientOptions(tcp)).toEqual({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: 0 },
    });
    const nats = parseTransportUrl('nats://n:4222');
    expect(transportServerOptions(nats, { queue: 'q' })).toEqual({
      transport: Transport.NATS,
      options: { servers: ['nats://n:4222'], queue: 'q' },
    });
    expect(transportServerOptions(nats)).toEqual({
      transport: Transport.NATS,
      options: { servers: ['nats://n:4222'] },
    });
  });
});
