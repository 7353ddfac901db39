/** admin-api could not be reached or did not answer in time (CONNACK 3 unless a cached decision exists). */
export class IdentityUnavailableError extends Error {
  readonly code = 'GATEWAY.IDENTITY_UNAVAILABLE';
  constructor(detail: string) {
    super(`identity service unavailable: ${detail}`);
    this.name = 'IdentityUnavailableError';
  }
}
