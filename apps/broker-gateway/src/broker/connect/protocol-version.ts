import type { AedesClient } from '../aedes.types';

/** MQTT 5 CONNACK reason code 0x84 (Unsupported Protocol Version), MQTT 5 §3.2.2.2. */
export const UNSUPPORTED_PROTOCOL_VERSION = 0x84;

/**
 * The CONNACK an MQTT 5 client can decode: fixed header 0x20, remaining length 3, acknowledge flags 0,
 * reason code 0x84, property length 0 (MQTT 5 §3.2). aedes 1.x would answer a v5 CONNECT in the 3.1.1
 * layout (`20 02 00 01`), whose return code 1 is no MQTT 5 CONNACK reason code: strict v5 decoders
 * (the Paho test client, paho-mqtt's ReasonCode) fail on it instead of reporting the refusal.
 */
const CONNACK_UNSUPPORTED_PROTOCOL_VERSION = Buffer.from([
  0x20,
  0x03,
  0x00,
  UNSUPPORTED_PROTOCOL_VERSION,
  0x00,
]);

type PreConnectDone = (err: Error | null, ok: boolean) => void;

/**
 * aedes `preConnect`, first in the chain (ADR 0105): the gateway runs aedes 1.x, which serves MQTT 3.1.1 and
 * 3.1 (protocol levels 4 and 3). A CONNECT with protocol level 5 gets the MQTT 5 CONNACK 0x84 and the
 * connection is closed [MQTT-3.1.2-2 of MQTT 5]; the error passed to aedes names the problem, and aedes
 * emits it as `connectionError`, which `logConnectionErrors` logs. Every other CONNECT goes on to `next`
 * unchanged (mqtt-packet's parser only lets levels 3, 4 and 5 through).
 */
export function refuseMqtt5(
  next: (client: AedesClient, packet: ConnectPacketLike, done: PreConnectDone) => void,
): (client: AedesClient, packet: ConnectPacketLike, done: PreConnectDone) => void {
  return (client, packet, done) => {
    if (packet.protocolVersion !== 5) {
      next(client, packet, done);
      return;
    }
    const id = packet.clientId ?? '';
    // before authentication: a client id of up to 64 KiB is not copied into the log whole
    const shown = id.length > 128 ? `${id.slice(0, 128)}…` : id;
    const refusal = new Error(
      `CONNECT of client ${JSON.stringify(shown)} refused with CONNACK 0x84 (unsupported protocol version): ` +
        'it speaks MQTT 5 (protocol level 5), this gateway serves MQTT 3.1.1 and 3.1 (protocol levels 4 and 3; ADR 0105)',
    );
    const conn = client.conn;
    if (conn.destroyed) {
      done(refusal, false);
      return;
    }
    // the CONNACK must have reached the socket before aedes destroys it for the error
    conn.write(CONNACK_UNSUPPORTED_PROTOCOL_VERSION, () => {
      // gatehouse_mqtt_connect_total counts it as `unacceptable_protocol_version`, as when aedes refused it (code 1)
      client.broker.emit('connackSent', { returnCode: 1, reasonCode: UNSUPPORTED_PROTOCOL_VERSION }, client);
      done(refusal, false);
    });
  };
}

/** The fields of aedes' parsed CONNECT that the preConnect chain reads. */
export interface ConnectPacketLike {
  protocolVersion?: number;
  clientId?: string;
}
