import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway.config';
import type { AedesClient } from '../aedes.types';
import { clientFields } from '../connection-id';
import { ConnackCode, ConnackError } from '../hooks/connack-error';
import {
  type ClientIdOwnerStore,
  MemoryClientIdOwnerStore,
  RedisClientIdOwnerStore,
} from './client-id-owner-store';

/**
 * SPEC 3 "Client ids belong to users" (ADR 0103). A client id is claimed by the user whose CONNECT
 * authenticated with it; another user's CONNECT with that id is refused with CONNACK 2 inside the
 * authenticate hook, which aedes runs before it takes over a live client with the same id
 * (`registerClient`) or touches the stored session (`fetchSubs`/`cleanSubscriptions`), so the owner's
 * session and queue stay as they were. The same user takes over [MQTT-3.1.4-2]. The claim outlives
 * the connection while a stored session (clean = 0) may exist, and ends when a clean = 1 connection
 * of the owner closes (its session state is discarded then [MQTT-3.1.2-6]).
 */
@Injectable()
export class ClientIdOwnership implements OnApplicationShutdown {
  private readonly logger = new Logger('MqttConnect');
  private readonly store: ClientIdOwnerStore;
  /** Clients whose CONNECT carried a zero-length client id (aedes replaces it before `authenticate`). */
  private readonly zeroLength = new WeakSet<object>();

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.store = config.redisUrl
      ? new RedisClientIdOwnerStore(config.redisUrl)
      : new MemoryClientIdOwnerStore();
  }

  /** aedes `preConnect`: notes a zero-length client id, which aedes turns into `aedes_<uuid>`. */
  readonly preConnect = (
    client: AedesClient,
    packet: { clientId?: string },
    done: (err: Error | null, ok: boolean) => void,
  ): void => {
    if (packet.clientId === '') this.zeroLength.add(client);
    done(null, true);
  };

  /** Refuses a client id no one may use, before credentials are checked. */
  assertAcceptable(client: AedesClient): void {
    // [MQTT-3.1.3-8]: a zero-length client id needs clean session = 1
    if (this.zeroLength.has(client) && !client.clean)
      throw new ConnackError(ConnackCode.IDENTIFIER_REJECTED, 'zero-length client id with clean session 0');
    if (client.id.includes('\u0000'))
      throw new ConnackError(ConnackCode.IDENTIFIER_REJECTED, 'client id contains U+0000');
  }

  /**
   * Claims `client.id` for `userId`; throws CONNACK 2 when another user owns it (live or stored session),
   * CONNACK 3 when the shared store cannot be reached. Returns a function that undoes a fresh claim
   * when the CONNECT is refused afterwards.
   */
  async claim(client: AedesClient, userId: string): Promise<() => void> {
    const token = randomUUID();
    let result;
    try {
      result = await this.store.claim(client.id, userId, token);
    } catch (err) {
      throw new ConnackError(
        ConnackCode.SERVER_UNAVAILABLE,
        `client id ownership could not be checked: ${(err as Error).message}`,
      );
    }
    if ('ownedBy' in result)
      throw new ConnackError(
        ConnackCode.IDENTIFIER_REJECTED,
        'client id belongs to another user (live or stored session)',
      );
    const release = (): void => {
      this.store.release(client.id, token).catch((err: unknown) => {
        this.logger.warn(
          `client id ${JSON.stringify(client.id)}: ownership not released: ${(err as Error).message}`,
          clientFields(client),
        );
      });
    };
    // A clean session ends with its connection; a stored one keeps its owner [MQTT-3.1.2-4].
    const onClose = (): void => {
      if (client.clean) release();
    };
    if (client.closed) onClose();
    else client.conn.once('close', onClose);
    return () => {
      client.conn.off('close', onClose);
      if (result.claimed === 'new') release();
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
