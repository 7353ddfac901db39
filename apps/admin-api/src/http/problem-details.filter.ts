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
import { ClientRegistryError, type ClientRegistryErrorCode } from '@gatehouse/client-registry';
import { IdentityError, type IdentityErrorCode } from '@gatehouse/identity';
import { RbacError } from '@gatehouse/rbac';
import { AuditRecorder, type AuditedRequest } from '../features/audit/audit-recorder.service';
import { Problem } from './problem';

const IDENTITY_STATUS: Record<IdentityErrorCode, HttpStatus> = {
  'IDENTITY.USER_EXISTS': HttpStatus.CONFLICT,
  'IDENTITY.ROLE_EXISTS': HttpStatus.CONFLICT,
  'IDENTITY.USER_NOT_FOUND': HttpStatus.NOT_FOUND,
  'IDENTITY.ROLE_NOT_FOUND': HttpStatus.NOT_FOUND,
  'IDENTITY.TOKEN_NOT_FOUND': HttpStatus.NOT_FOUND,
  'IDENTITY.VERSION_CONFLICT': HttpStatus.CONFLICT,
  'IDENTITY.PRECONDITION_FAILED': HttpStatus.PRECONDITION_FAILED,
  'IDENTITY.BUILT_IN_ROLE': HttpStatus.CONFLICT,
  'IDENTITY.INVALID_CREDENTIALS': HttpStatus.UNAUTHORIZED,
  'IDENTITY.INVALID_CURRENT_PASSWORD': HttpStatus.BAD_REQUEST,
  'IDENTITY.RATE_LIMITED': HttpStatus.TOO_MANY_REQUESTS,
  'IDENTITY.INVALID_TOKEN': HttpStatus.UNAUTHORIZED,
  'IDENTITY.WEAK_PASSWORD': HttpStatus.BAD_REQUEST,
  'IDENTITY.TOKEN_LIFETIME_TOO_LONG': HttpStatus.BAD_REQUEST,
  'IDENTITY.UNKNOWN_ROLE': HttpStatus.BAD_REQUEST,
  'IDENTITY.INVALID_CURSOR': HttpStatus.BAD_REQUEST,
  'IDENTITY.LAST_ADMIN': HttpStatus.CONFLICT,
  'IDENTITY.POLICY_INVALID': HttpStatus.BAD_REQUEST,
  'IDENTITY.POLICY_REMOVES_CALLER': HttpStatus.CONFLICT,
  'IDENTITY.CERTIFICATE_NOT_FOUND': HttpStatus.NOT_FOUND,
  'IDENTITY.GRANT_REQUIRED': HttpStatus.FORBIDDEN,
  'IDENTITY.ROLE_VERSION_NOT_FOUND': HttpStatus.NOT_FOUND,
  'IDENTITY.ROLLBACK_NO_CHANGE': HttpStatus.CONFLICT,
  'IDENTITY.DIRECTORY_UNAVAILABLE': HttpStatus.SERVICE_UNAVAILABLE,
  'IDENTITY.FEDERATED_NAME_CLASH': HttpStatus.CONFLICT,
  'IDENTITY.FEDERATED_USER': HttpStatus.CONFLICT,
  'AUTH.UNAUTHENTICATED': HttpStatus.UNAUTHORIZED,
  'IDENTITY.OIDC_DISABLED': HttpStatus.NOT_FOUND,
  'IDENTITY.OIDC_STATE_INVALID': HttpStatus.BAD_REQUEST,
  'IDENTITY.OIDC_LOGIN_EXPIRED': HttpStatus.BAD_REQUEST,
  'IDENTITY.OIDC_ID_TOKEN_INVALID': HttpStatus.UNAUTHORIZED,
  'IDENTITY.OIDC_CLAIM_INVALID': HttpStatus.UNAUTHORIZED,
  'IDENTITY.PROVIDER_REFUSED': HttpStatus.UNAUTHORIZED,
  'IDENTITY.PROVIDER_UNAVAILABLE': HttpStatus.SERVICE_UNAVAILABLE,
  'IDENTITY.USER_DISABLED': HttpStatus.UNAUTHORIZED,
  'IDENTITY.REFRESH_NOT_SUPPORTED': HttpStatus.CONFLICT,
  'AUTH.OIDC_STEP_UP_REQUIRED': HttpStatus.UNAUTHORIZED,
  'AUTH.MFA_REQUIRED': HttpStatus.UNAUTHORIZED,
  'AUTH.MFA_INVALID_CODE': HttpStatus.UNAUTHORIZED,
  'AUTH.MFA_CODE_REJECTED': HttpStatus.FORBIDDEN,
  'AUTH.MFA_CODE_MISSING': HttpStatus.BAD_REQUEST,
  'AUTH.MFA_BANNED': HttpStatus.TOO_MANY_REQUESTS,
  'AUTH.MFA_ENROLLMENT_REQUIRED': HttpStatus.FORBIDDEN,
  'AUTH.MFA_DISABLED': HttpStatus.NOT_FOUND,
  'AUTH.MFA_ALREADY_ENABLED': HttpStatus.CONFLICT,
  'AUTH.MFA_NOT_PENDING': HttpStatus.CONFLICT,
  'AUTH.MFA_NOT_ENABLED': HttpStatus.CONFLICT,
  'AUTH.MFA_KEY_MISMATCH': HttpStatus.SERVICE_UNAVAILABLE,
  'AUTH.MFA_SELF_RESET': HttpStatus.FORBIDDEN,
};

const REGISTRY_STATUS: Record<ClientRegistryErrorCode, HttpStatus> = {
  'REGISTRY.LOCKED': HttpStatus.LOCKED,
  'REGISTRY.CONFLICT': HttpStatus.CONFLICT,
  'REGISTRY.REJECTED': HttpStatus.FORBIDDEN,
  'REGISTRY.INVALID_REQUEST': HttpStatus.BAD_REQUEST,
  'REGISTRY.INVALID_CSR': HttpStatus.BAD_REQUEST,
  'REGISTRY.RATE_LIMITED': HttpStatus.TOO_MANY_REQUESTS,
  'REGISTRY.TOO_MANY_PENDING': HttpStatus.TOO_MANY_REQUESTS,
  'REGISTRY.REQUEST_NOT_FOUND': HttpStatus.NOT_FOUND,
  'REGISTRY.REQUEST_NOT_PENDING': HttpStatus.CONFLICT,
  'REGISTRY.REQUEST_EXPIRED': HttpStatus.CONFLICT,
  'REGISTRY.INVALID_CURSOR': HttpStatus.BAD_REQUEST,
  'REGISTRY.CA_UNAVAILABLE': HttpStatus.SERVICE_UNAVAILABLE,
};

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
