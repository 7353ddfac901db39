import { isUtf8 } from 'node:buffer';
import type { AedesClient } from './aedes.types';

/** Bytes a connection may send before its CONNECT is authenticated (SPEC 3 "Limits"). */
export const PRE_AUTH_MAX_BYTES = 64 * 1024;

/** A protocol rule the client broke; aedes closes the connection and the broker logs the reason. */
export class PacketLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PacketLimitError';
  }
}

/** The parts of the mqtt-packet 9 parser that aedes 1.x gives every client (`client._parser`). */
interface MqttPacketParser {
  packet: { cmd?: string; length: number };
  _list: { slice(start: number, end: number): Buffer };
  _pos: number;
  error: Error | null;
  _emitError(err: Error): void;
  parse: (this: MqttPacketParser, buf: Buffer) => number;
  _parseLength: (this: MqttPacketParser) => boolean;
  _parseString: (this: MqttPacketParser) => string | null;
}

type GuardedClient = AedesClient & { _parser?: MqttPacketParser; _authorized?: boolean };

/** Bytes of the fixed header for a remaining length (1 + 1..4, MQTT 3.1.1 §2.2.3). */
function fixedHeaderSize(remaining: number): number {
  return 1 + (remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4);
}

/**
 * Enforces the packet limits of SPEC 3 on one aedes client, in its mqtt-packet parser (mqtt-packet 9
 * has no size limit and aedes 1.x none either; ADR 0104), so that TCP, TLS and WebSocket are all covered:
 * - a packet whose fixed header announces more than `maxPacketSize` bytes (whole packet, fixed header
 *   included, as MQTT 5 counts it) is refused as soon as the header is parsed, before its body is read;
 * - before the CONNECT is authenticated, at most {@link PRE_AUTH_MAX_BYTES} are read, and no packet may
 *   announce more;
 * - every UTF-8 string (topic, filter, will topic, client id, username) must be well-formed
 *   [MQTT-1.5.3-1]; mqtt-packet would decode ill-formed bytes to U+FFFD and carry on.
 * A violation is a parser error: aedes closes the connection and emits `connectionError`/`clientError`
 * with the reason (logged by {@link logConnectionErrors}). Call right after `broker.handle(conn)`.
 */
export function guardPacketLimits(client: AedesClient, maxPacketSize: number): void {
  const c = client as GuardedClient;
  const parser = c._parser;
  if (!parser) {
    // fail closed, without throwing in a listener's connection handler (that would end the process)
    (client.conn as { destroy(err?: Error): void }).destroy(
      new PacketLimitError('aedes client without an mqtt-packet parser: packet limits cannot be enforced'),
    );
    return;
  }
  const authorized = (): boolean => c.connected || c._authorized === true;
  const preAuthMax = Math.min(PRE_AUTH_MAX_BYTES, maxPacketSize);
  let preAuthBytes = 0;

  const parse = parser.parse;
  parser.parse = function (this: MqttPacketParser, buf: Buffer): number {
    if (!authorized()) {
      preAuthBytes += buf.length;
      if (preAuthBytes > preAuthMax) {
        this._emitError(
          new PacketLimitError(`more than ${preAuthMax} bytes sent before the CONNECT was authenticated`),
        );
        return 0;
      }
    }
    return parse.call(this, buf);
  };

  const parseLength = parser._parseLength;
  parser._parseLength = function (this: MqttPacketParser): boolean {
    const done = parseLength.call(this);
    if (!done || this.error) return done;
    const size = this.packet.length + fixedHeaderSize(this.packet.length);
    const pre = !authorized();
    const limit = pre ? preAuthMax : maxPacketSize;
    if (size > limit)
      this._emitError(
        new PacketLimitError(
          `${this.packet.cmd ?? 'packet'} of ${size} bytes announced, more than ${
            pre ? `${limit} before the CONNECT is authenticated` : `MQTT_MAX_PACKET_SIZE ${limit}`
          }`,
        ),
      );
    return done;
  };

  const parseString = parser._parseString;
  parser._parseString = function (this: MqttPacketParser): string | null {
    const start = this._pos;
    const text = parseString.call(this);
    // Node decodes every ill-formed sequence to U+FFFD: only then are the bytes worth checking.
    if (text !== null && text.includes('\uFFFD') && !isUtf8(this._list.slice(start + 2, this._pos)))
      this._emitError(
        new PacketLimitError(
          `${this.packet.cmd ?? 'packet'} holds a string that is not valid UTF-8 [MQTT-1.5.3-1]`,
        ),
      );
    return text;
  };
}
