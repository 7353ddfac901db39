// fast-check generators of MQTT 3.1.1 / 3.1 traffic for the fuzz suite: valid packets built with
// mqtt-packet's `generate`, then mutated (bytes flipped, truncated, wrong remaining lengths, wrong
// protocol levels, reserved flags and types, invalid UTF-8, oversize headers and topics).
import * as fc from 'fast-check';
import { generate, type Packet } from 'mqtt-packet';

/** A packet as mqtt-packet's `generate` takes it (loosely typed: the fuzz also builds odd ones). */
export type Wire = { cmd: string } & Record<string, unknown>;

/** Placeholder bytes in strings that the invalid-UTF-8 mutation overwrites in the encoded packet. */
export const MARK = 'QZQZ';
export const INVALID_UTF8: number[][] = [
  [0xc3, 0x28, 0xa0, 0xa1], // bad continuation
  [0xed, 0xa0, 0x80, 0x41], // encoded surrogate U+D800
  [0xc0, 0xaf, 0xc1, 0xbf], // overlong encodings
  [0xff, 0xfe, 0xfd, 0xfc], // bytes never valid in UTF-8
  [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
  [0x00, 0x41, 0x00, 0x42], // NUL [MQTT-1.5.3-2]
];

export interface Credentials {
  username: string;
  password: string;
}

const topicLevel = fc.oneof(
  fc.constantFrom('fuzz', 'a', '', '+', '#', '$SYS', 'legit', 'sensors', MARK, '${username}', ' '),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }).filter((x) => !x.includes('\ufffd')),
);
/** Topic names and filters, wildcards and all (the broker must refuse what is invalid where). */
export const topic = fc.oneof(
  { weight: 8, arbitrary: fc.array(topicLevel, { minLength: 1, maxLength: 6 }).map((l) => l.join('/')) },
  { weight: 1, arbitrary: fc.constantFrom('fuzz/' + MARK, MARK, 'fuzz/#/x', '#/#', 'a+/b', '/', '//', '') },
);

const clientIds = fc.oneof(
  fc.constantFrom('', MARK, 'fuzz-shared', 'legit', 'x'.repeat(65_535)),
  fc.integer({ min: 0, max: 40 }).map((n) => `fuzz-${n}`),
  fc.string({ maxLength: 30 }),
);

export function connectPacket(creds: Credentials): fc.Arbitrary<Wire> {
  return fc
    .record({
      version: fc.constantFrom<[string, number]>(['MQTT', 4], ['MQTT', 4], ['MQTT', 4], ['MQIsdp', 3]),
      clientId: clientIds,
      clean: fc.boolean(),
      keepalive: fc.constantFrom(0, 1, 5, 60, 65_535),
      auth: fc.oneof(
        { weight: 9, arbitrary: fc.constant(creds) },
        {
          weight: 1,
          arbitrary: fc.record({
            username: fc.constantFrom(MARK, 'nobody', 'a\u0000b'),
            password: fc.string(),
          }),
        },
      ),
      will: fc.option(
        fc.record({
          topic,
          payload: fc.uint8Array({ maxLength: 64 }),
          qos: fc.constantFrom(0, 1, 2),
          retain: fc.constant(false),
        }),
        { freq: 4 },
      ),
    })
    .map(({ version, clientId, clean, keepalive, auth, will }) => ({
      cmd: 'connect',
      protocolId: version[0],
      protocolVersion: version[1],
      clientId,
      clean,
      keepalive,
      username: auth.username,
      password: Buffer.from(auth.password),
      ...(will ? { will: { ...will, payload: Buffer.from(will.payload) } } : {}),
    }));
}

const messageId = fc.integer({ min: 1, max: 65_535 });

/** Packets a connected client sends, valid on the wire (their content may still be refused). */
export const sessionPacket: fc.Arbitrary<Wire> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        topic,
        payload: fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.constant(new Uint8Array(4_096))),
        qos: fc.constantFrom(0, 1, 2),
        retain: fc.boolean(),
        dup: fc.boolean(),
        messageId,
      })
      .map((p) => ({ cmd: 'publish', ...p, payload: Buffer.from(p.payload) })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        messageId,
        subscriptions: fc.array(fc.record({ topic, qos: fc.constantFrom(0, 1, 2) }), {
          minLength: 1,
          maxLength: 4,
        }),
      })
      .map((p) => ({ cmd: 'subscribe', ...p })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ messageId, unsubscriptions: fc.array(topic, { minLength: 1, maxLength: 3 }) })
      .map((p) => ({ cmd: 'unsubscribe', ...p })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ cmd: fc.constantFrom('puback', 'pubrec', 'pubrel', 'pubcomp'), messageId })
      .map((p) => p as Wire),
  },
  { weight: 1, arbitrary: fc.constant({ cmd: 'pingreq' }) },
);

/** A rewrite of an encoded packet; `name` says what was done (for the report). */
export type Mutation = { name: string; apply: (b: Buffer) => Buffer };

/** Remaining length as MQTT's variable byte integer (up to 4 bytes; 5 for the invalid case). */
function varint(n: number, bytes?: number): Buffer {
  const out: number[] = [];
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n > 0 || (bytes !== undefined && out.length + 1 < bytes)) d |= 0x80;
    out.push(d);
  } while (n > 0 || (bytes !== undefined && out.length < bytes));
  return Buffer.from(out);
}
function headerLength(b: Buffer): number {
  let i = 1;
  while (i < b.length && i < 5 && b[i] & 0x80) i++;
  return i + 1;
}

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ name: 'none', apply: (b) => b }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([pos, x]) => ({
    name: 'flip byte',
    apply: (b: Buffer) => {
      const c = Buffer.from(b);
      if (c.length) c[pos % c.length] ^= x;
      return c;
    },
  })),
  fc.nat().map((pos) => ({
    name: 'truncate',
    apply: (b: Buffer) => b.subarray(0, b.length ? pos % b.length : 0),
  })),
  fc.integer({ min: -20, max: 20 }).map((delta) => ({
    name: 'wrong remaining length',
    apply: (b: Buffer) => {
      const h = headerLength(b);
      const len = Math.max(0, b.length - h + delta);
      return Buffer.concat([b.subarray(0, 1), varint(len), b.subarray(h)]);
    },
  })),
  fc.constantFrom(268_435_455, 2_097_152, 70_000).map((n) => ({
    name: `announced remaining length ${n}`,
    apply: (b: Buffer) => Buffer.concat([b.subarray(0, 1), varint(n), b.subarray(headerLength(b))]),
  })),
  fc.constant<Mutation>({
    name: 'five-byte remaining length',
    apply: (b) =>
      Buffer.concat([
        b.subarray(0, 1),
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]),
        b.subarray(headerLength(b)),
      ]),
  }),
  fc.constant<Mutation>({
    name: 'non-minimal remaining length',
    apply: (b) =>
      Buffer.concat([b.subarray(0, 1), varint(b.length - headerLength(b), 4), b.subarray(headerLength(b))]),
  }),
  fc.integer({ min: 0, max: 15 }).map((flags) => ({
    name: 'fixed-header flags',
    apply: (b: Buffer) => {
      const c = Buffer.from(b);
      if (c.length) c[0] = (c[0] & 0xf0) | flags;
      return c;
    },
  })),
  fc.constantFrom(0, 15).map((type) => ({
    name: `reserved packet type ${type}`,
    apply: (b: Buffer) => {
      const c = Buffer.from(b);
      if (c.length) c[0] = (type << 4) | (c[0] & 0x0f);
      return c;
    },
  })),
  fc.constantFrom(...INVALID_UTF8).map((bytes) => ({
    name: `invalid UTF-8 ${Buffer.from(bytes).toString('hex')}`,
    apply: (b: Buffer) => {
      const c = Buffer.from(b);
      const at = c.indexOf(MARK);
      if (at >= 0) Buffer.from(bytes).copy(c, at);
      return c;
    },
  })),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((junk) => ({
    name: 'trailing garbage',
    apply: (b: Buffer) => Buffer.concat([b, Buffer.from(junk)]),
  })),
);

/** Protocol level and name rewrites of a CONNECT (MQTT 5, 0, 255, and a wrong name). */
export const connectMutation: fc.Arbitrary<Mutation> = fc.oneof(
  mutation,
  fc.constantFrom(0, 1, 2, 5, 6, 255).map((level) => ({
    name: `protocol level ${level}`,
    apply: (b: Buffer) => {
      const c = Buffer.from(b);
      const at = c.indexOf('MQTT');
      if (at >= 0) c[at + 4] = level;
      return c;
    },
  })),
  fc.constant<Mutation>({
    name: 'protocol name MQTX',
    apply: (b) => {
      const c = Buffer.from(b);
      const at = c.indexOf('MQTT');
      if (at >= 0) c.write('MQTX', at);
      return c;
    },
  }),
  fc.constant<Mutation>({
    name: 'reserved connect flag',
    apply: (b) => {
      const c = Buffer.from(b);
      const at = c.indexOf('MQTT');
      if (at >= 0) c[at + 5] |= 0x01;
      return c;
    },
  }),
);

export function encode(p: Wire): Buffer {
  return generate(p as unknown as Packet);
}

/** A PUBLISH of `topic` with a small payload, encoded (for the oversize-topic cases). */
export function publishOf(topicName: string, qos: 0 | 1 = 0): Buffer {
  return generate({
    cmd: 'publish',
    topic: topicName,
    payload: Buffer.from('x'),
    qos,
    retain: false,
    dup: false,
    ...(qos ? { messageId: 1 } : {}),
  });
}

/** `publishOf(topic)` with the MARK bytes in the topic replaced by `bytes` (invalid UTF-8 on the wire). */
export function publishWithBytes(topicWithMark: string, bytes: number[]): Buffer {
  const b = publishOf(topicWithMark);
  Buffer.from(bytes).copy(b, b.indexOf(MARK));
  return b;
}
