import type { RateLimitStoreOptions } from '@gatehouse/contracts';

/** The Gatehouse CA (SPEC 4 "Certificates"). */
export interface CertificateAuthorityOptions {
  /** Operator-supplied CA certificate and key (PEM); both or neither. Otherwise a CA is created on first start. */
  certFile?: string;
  keyFile?: string;
  /**
   * Encrypts the generated CA key at rest (and decrypts an encrypted operator key). Absent: a random
   * passphrase generated once into `DATA_DIR/ca/ca-key.passphrase` (0600), or kept in memory only with
   * an in-memory DATA_DIR.
   */
  keyPassphrase?: string;
  /** Validity of a generated CA certificate. */
  caValidityDays: number;
  /** Validity of an issued client certificate (SPEC 4: default 365 days). */
  clientCertValidityDays: number;
}

export interface ClientRegistryOptions {
  /** `DATA_DIR` (absolute), or `memory://`. */
  dataDir: string;
  /** Pending requests expire after this (SPEC 4: 24 hours). */
  requestTtlSeconds: number;
  /** After a grant, polls with the same credentials keep answering 201 with the same certificate this long. */
  grantGraceSeconds: number;
  /** Registration attempts (REST and MQTT) per client IP within the window. */
  registerLimitPerIp: number;
  registerLimitWindowSeconds: number;
  /** Where that counter lives: Redis (`REDIS_URL`, shared by every admin-api) or memory. */
  rateLimitStore: RateLimitStoreOptions;
  /** No new request is recorded while this many are pending (a flood cannot fill the database). */
  maxPendingRequests: number;
  ca: CertificateAuthorityOptions;
}

export const CLIENT_REGISTRY_OPTIONS = Symbol('CLIENT_REGISTRY_OPTIONS');

/** SPEC 4: unlock defaults to 5 minutes, at most 1 hour. */
export const DEFAULT_UNLOCK_MS = 300_000;
export const MAX_UNLOCK_MS = 3_600_000;
