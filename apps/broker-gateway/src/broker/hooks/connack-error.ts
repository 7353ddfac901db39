/** CONNACK return codes of MQTT 3.1.1 §3.2.2.3 that the gateway answers. */
export const ConnackCode = {
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const;
export type ConnackCodeValue = (typeof ConnackCode)[keyof typeof ConnackCode];

/** An authenticate-hook refusal: aedes sends `returnCode` in the CONNACK and closes [MQTT-3.2.2-5]. */
export class ConnackError extends Error {
  constructor(
    readonly returnCode: ConnackCodeValue,
    message: string,
  ) {
    super(message);
    this.name = 'ConnackError';
  }
}
