import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import { AuditError } from '@gatehouse/audit';
import { ClientRegistryError } from '@gatehouse/client-registry';
import { IdentityError } from '@gatehouse/identity';
import { RbacError } from '@gatehouse/rbac';
import { AuditRecorder, type AuditedRequest } from '../features/audit/audit-recorder.service';
import { Problem } from './problem';
import { IDENTITY_STATUS, REGISTRY_STATUS } from './problem-statuses';

interface Rendered {
  status: number;
  code: string;
  detail: string;
  retryAfterSeconds?: number;
  errors?: string[];
}

/** Body-parser errors carry `status` and `type` (e.g. entity.too.large). */
function bodyParserError(err: unknown): Rendered | undefined {
  const e = err as { status?: unknown; type?: unknown; expose?: unknown };
  if (typeof e?.status !== 'number' || typeof e.type !== 'string') return undefined;
  if (e.type === 'entity.too.large')
    return { status: 413, code: 'HTTP.PAYLOAD_TOO_LARGE', detail: 'request body too large' };
  if (e.type === 'json.too.deep' && err instanceof Error)
    return { status: 400, code: 'HTTP.JSON_TOO_DEEP', detail: err.message };
  if (e.type === 'json.number.out.of.range' && err instanceof Error)
    return { status: 400, code: 'HTTP.JSON_NUMBER_OUT_OF_RANGE', detail: err.message };
  if (e.type === 'json.nul' && err instanceof Error)
    return { status: 400, code: 'HTTP.JSON_NUL', detail: err.message };
  if (e.type === 'json.invalid.text' && err instanceof Error)
    return { status: 400, code: 'HTTP.JSON_INVALID_TEXT', detail: err.message };
  if (e.type === 'entity.parse.failed')
    return { status: 400, code: 'HTTP.MALFORMED_JSON', detail: 'request body is not valid JSON' };
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
    return { status: 415, code: 'HTTP.UNSUPPORTED_MEDIA_TYPE', detail: 'unsupported request encoding' };
  }
  return { status: e.status, code: `HTTP.${e.status}`, detail: 'malformed request' };
}

function render(err: unknown): Rendered {
  if (err instanceof Problem) {
    return { status: err.getStatus(), code: err.code, detail: err.message, ...err.extra };
  }
  if (err instanceof IdentityError || err instanceof ClientRegistryError) {
    return {
      status: err instanceof IdentityError ? IDENTITY_STATUS[err.code] : REGISTRY_STATUS[err.code],
      code: err.code,
      detail: err.message,
      retryAfterSeconds: err.retryAfterSeconds,
    };
  }
  if (err instanceof RbacError || err instanceof AuditError)
    return { status: 400, code: err.code, detail: err.message };
  // Express's adapter wraps body-parser errors (4xx http-errors) in an HttpException: their `type`
  // says what was wrong with the body.
  if (err instanceof HttpException && err.cause !== undefined) {
    const parser = bodyParserError(err.cause);
    if (parser) return parser;
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const body = err.getResponse() as { message?: unknown } | string;
    const message = typeof body === 'string' ? body : body.message;
    const detail = Array.isArray(message)
      ? message.join('; ')
      : typeof message === 'string'
        ? message
        : err.message;
    return { status, code: status === 404 ? 'HTTP.NOT_FOUND' : `HTTP.${status}`, detail };
  }
  return bodyParserError(err) ?? { status: 500, code: 'INTERNAL', detail: 'internal error' };
}

/** Every error becomes RFC 9457 problem details; never a stack trace (SPEC 2). */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  constructor(private readonly audit: AuditRecorder) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const r = render(err);
    // A Problem is a decided answer (e.g. 503 from /health/ready, which logs its own reason).
    // a directory outage is a decided answer too (SPEC 2.1a): the directory client logged its cause
    const decided =
      err instanceof Problem ||
      (err instanceof IdentityError &&
        (err.code === 'IDENTITY.DIRECTORY_UNAVAILABLE' || err.code === 'IDENTITY.PROVIDER_UNAVAILABLE'));
    if (r.status >= 500 && !decided)
      this.logger.error(`unhandled error: ${(err as Error)?.stack ?? String(err)}`);
    if (r.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(r.retryAfterSeconds));
    if (res.headersSent) return;
    // An @Audited route's refusal is recorded before the answer leaves (ADR 0016); the recorder never throws.
    const req = host.switchToHttp().getRequest<AuditedRequest>();
    if (req.audit) {
      const about = err instanceof IdentityError ? err.subject : undefined;
      void this.audit.refused(req, r.status, r.code, about).then(() => send(res, r));
      return;
    }
    send(res, r);
  }
}

function send(res: Response, r: Rendered): void {
  res
    .status(r.status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: `urn:gatehouse:problem:${r.code.toLowerCase()}`,
        title: HttpStatus[r.status]?.replace(/_/g, ' ').toLowerCase() ?? 'error',
        status: r.status,
        detail: r.detail,
        code: r.code,
        ...(r.errors ? { errors: r.errors } : {}),
      }),
    );
}
