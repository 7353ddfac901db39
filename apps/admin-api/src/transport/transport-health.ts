import type { Server as NetServer } from 'node:net';
import { Injectable } from '@nestjs/common';

/** The part of a started Nest microservice the check needs. */
interface UnwrappableServer {
  unwrap<T>(): T;
}

/** What of a NATS connection the check uses. */
interface NatsLike {
  isClosed(): boolean;
  flush(): Promise<void>;
}

const FLUSH_TIMEOUT_MS = 2_000;

/**
 * The transport's health for `/health/ready`: the TCP server still listens, or the NATS connection
 * is open and answers a ping (`flush`). Down until `connectAdminTransport` has started it.
 */
@Injectable()
export class TransportHealth {
  private server?: { kind: 'tcp' | 'nats'; microservice: UnwrappableServer };

  watch(kind: 'tcp' | 'nats', microservice: UnwrappableServer): void {
    this.server = { kind, microservice };
  }

  /** Resolves when the transport can take requests; rejects naming the problem otherwise. */
  async check(): Promise<void> {
    if (!this.server) throw new Error('the transport is not started');
    if (this.server.kind === 'tcp') {
      if (!this.server.microservice.unwrap<NetServer>().listening)
        throw new Error('the TCP transport does not listen');
      return;
    }
    const nc = this.server.microservice.unwrap<NatsLike>();
    if (nc.isClosed()) throw new Error('the NATS connection is closed');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        nc.flush(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('NATS does not answer')), FLUSH_TIMEOUT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}
