import {
  type CallHandler,
  type ExecutionContext,
  HttpStatus,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { JSON_BODY_BYTES, type RequestWithJsonSize } from '../../http/json-limits';
import { Problem } from '../../http/problem';

/**
 * The public register route takes small JSON bodies only (issue 4): 415 for another type, 413 past
 * 64 KiB. The body was parsed by the app's one JSON parser (depth and number limits, issue 9), which
 * records its raw size; no re-serialising of what a client sent.
 */
export const MAX_REGISTER_BODY_BYTES = 64 * 1024;

@Injectable()
export class JsonBodyOnly implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<Request>();
    if (!req.is('application/json')) {
      throw new Problem(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'HTTP.UNSUPPORTED_MEDIA_TYPE',
        'the request body must be application/json',
      );
    }
    const length = Number(req.headers['content-length'] ?? 0);
    const parsed = (req as unknown as RequestWithJsonSize)[JSON_BODY_BYTES] ?? 0;
    if (length > MAX_REGISTER_BODY_BYTES || parsed > MAX_REGISTER_BODY_BYTES) {
      throw new Problem(
        HttpStatus.PAYLOAD_TOO_LARGE,
        'HTTP.PAYLOAD_TOO_LARGE',
        `request body larger than ${MAX_REGISTER_BODY_BYTES} bytes`,
      );
    }
    return next.handle();
  }
}
