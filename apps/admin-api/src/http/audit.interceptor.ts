import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { from, mergeMap, type Observable } from 'rxjs';
import { AuditRecorder, type AuditedRequest } from '../features/audit/audit-recorder.service';

/**
 * Records the success event of a route declared `@Audited` (SPEC 6, ADR 0016): the target's state
 * before the handler (for the diff), then the event once the handler answered and before the answer
 * is sent, so that the event is there when the caller has the answer. Refusals are recorded by the
 * problem filter (guards run before interceptors).
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly recorder: AuditRecorder) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<AuditedRequest>();
    if (!req.audit) return next.handle();
    return from(this.recorder.before(req)).pipe(
      mergeMap((before) =>
        next
          .handle()
          .pipe(
            mergeMap((answer: unknown) =>
              from(this.recorder.succeeded(req, before, answer).then(() => answer)),
            ),
          ),
      ),
    );
  }
}
