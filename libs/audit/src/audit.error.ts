/** Stable codes of audit errors; admin-api maps them to problem+json. */
export type AuditErrorCode = 'AUDIT.INVALID_CURSOR';

/** An error raised by the audit lib, with a stable code. */
export class AuditError extends Error {
  constructor(
    readonly code: AuditErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AuditError';
  }
}
