/** Codes of `listen()` failures that are a configuration problem, not a bug. */
const CONFIG_CODES = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * A listener could not be opened because of its configuration (SPEC 7: a wrong value stops the start
 * with a message naming the variable): `MQTT_PORT 1883 is in use (bind address 0.0.0.0)`.
 */
export class ListenError extends Error {
  constructor(
    readonly variable: string,
    readonly port: number,
    readonly host: string,
    readonly code: string,
    hostVariable?: string,
  ) {
    super(ListenError.describe(variable, port, host, code, hostVariable));
    this.name = 'ListenError';
  }

  private static describe(
    variable: string,
    port: number,
    host: string,
    code: string,
    hostVariable?: string,
  ): string {
    const hostName = hostVariable ? `${hostVariable} ${host}` : host;
    switch (code) {
      case 'EADDRINUSE':
        return `${variable} ${port} is in use (bind address ${host})`;
      case 'EACCES':
        return `${variable} ${port}: not permitted to listen on ${host}:${port} (ports below 1024 need privileges)`;
      default:
        return `${variable} ${port}: cannot listen on ${hostName}: it is not an address of this machine (${code})`;
    }
  }

  /** `err` as a ListenError when it is a configuration problem of this listener; otherwise `err` itself. */
  static from<E>(
    err: E,
    variable: string,
    port: number,
    host: string,
    hostVariable?: string,
  ): E | ListenError {
    const code = (err as { code?: unknown } | null)?.code;
    if (err instanceof ListenError || typeof code !== 'string' || !CONFIG_CODES.has(code)) return err;
    return new ListenError(variable, port, host, code, hostVariable);
  }
}
