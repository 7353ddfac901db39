import { HttpException, HttpStatus } from '@nestjs/common';

/** An HTTP error with a stable code, rendered as problem+json by the global filter. */
export class Problem extends HttpException {
  constructor(
    status: HttpStatus,
    readonly code: string,
    detail: string,
    readonly extra: { retryAfterSeconds?: number; errors?: string[] } = {},
  ) {
    super(detail, status);
  }
}
