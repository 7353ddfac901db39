/**
 * Stable error codes thrown by `@gatehouse/rbac`.
 * - `RBAC.INVALID_PATTERN`: a permission resource, topic filter or topic name breaks SPEC 1.1
 *   (the message names the rule broken; map to HTTP 400).
 * - `RBAC.INVALID_RULE`: a permission's context or operation is not one of the known values (400).
 */
export type RbacErrorCode = 'RBAC.INVALID_PATTERN' | 'RBAC.INVALID_RULE';

/**
 * The one error class of this library. It carries a stable string `code` for the apps to map
 * (admin-api: problem+json 400; gateway: refusal). Never an `HttpException`.
 */
export class RbacError extends Error {
  /**
   * @param code - stable machine-readable code, e.g. `RBAC.INVALID_PATTERN`
   * @param message - human-readable, names the rule broken; safe to show to the caller
   */
  constructor(
    public readonly code: RbacErrorCode | (string & {}),
    message: string,
  ) {
    super(message);
    this.name = 'RbacError';
  }
}
