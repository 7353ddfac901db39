import type { Logger } from '@nestjs/common';
import type { AedesBroker, AedesClient } from './aedes.types';
import { clientFields } from './connection-id';
import { remoteAddressOf } from './hooks/remote-address';

/** Peer addresses noted when the connection was accepted: a destroyed socket no longer has one. */
const peers = new WeakMap<object, string>();

/** Notes the client's peer address for the close log line (call when the connection is accepted). */
export function notePeer(client: AedesClient): void {
  const address = remoteAddressOf(client);
  if (address) peers.set(client, address);
}

/** Socket-level ends that are no protocol problem (the peer went away); logged at debug only. */
const ORDINARY = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * Logs why aedes closed a connection (SPEC 3 "Every such refusal is logged with its reason"): packet
 * limits and ill-formed UTF-8 ({@link guardPacketLimits}), malformed packets (mqtt-packet), topics over
 * the level limit and other protocol errors (aedes handlers), oversized WebSocket frames. aedes emits
 * `connectionError` before the CONNECT gave the client an id, `clientError` after.
 */
export function logConnectionErrors(broker: AedesBroker, logger: Logger): void {
  const log = (client: AedesClient | null | undefined, err: Error & { code?: string }): void => {
    const who = `${client?.id ? `client ${JSON.stringify(client.id)}` : 'connection'} from ${
      (client && (peers.get(client) ?? remoteAddressOf(client))) ?? '?'
    }`;
    if (err.code && ORDINARY.has(err.code))
      logger.debug(`${who} ended: ${err.message}`, clientFields(client));
    else logger.warn(`closing ${who}: ${err.message}`, clientFields(client));
  };
  broker.on('clientError', log as never);
  broker.on('connectionError', log as never);
}
