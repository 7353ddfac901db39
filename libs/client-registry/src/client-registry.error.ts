/** Stable codes of client-registry errors; admin-api maps them to problem+json statuses. */
export type ClientRegistryErrorCode =
  | 'REGISTRY.LOCKED'
  | 'REGISTRY.CONFLICT'
  | 'REGISTRY.REJECTED'
  | 'REGISTRY.INVALID_REQUEST'
  | 'REGISTRY.INVALID_CSR'
  | 'REGISTRY.RATE_LIMITED'
  | 'REGISTRY.TOO_MANY_PENDING'
  | 'REGISTRY.REQUEST_NOT_FOUND'
  | 'REGISTRY.REQUEST_NOT_PENDING'
  | 'REGISTRY.REQUEST_EXPIRED'
  | 'REGISTRY.INVALID_CURSOR'
  | 'REGISTRY.CA_UNAVAILABLE';

/** An error raised by the client-registry lib, with a stable code. Never carries a secret. */
export class ClientRegistryError extends Error {
  constructor(
    readonly code: ClientRegistryErrorCode,
    message: string,
    /** Seconds until a rate-limited caller may retry. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ClientRegistryError';
  }
}
