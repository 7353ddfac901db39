import { HttpStatus } from '@nestjs/common';
import { getSchemaPath } from '@nestjs/swagger';
import type { AuditErrorCode } from '@gatehouse/audit';
import type { ClientRegistryErrorCode } from '@gatehouse/client-registry';
import type { IdentityErrorCode } from '@gatehouse/identity';
import type { RbacErrorCode } from '@gatehouse/rbac';
import { ProblemDetailsDto } from './problem-details.dto';
import { IDENTITY_STATUS, REGISTRY_STATUS } from './problem-statuses';

/** The codes admin-api answers itself (`Problem`s and the filter's mapping of Nest and parser errors). */
const APP_STATUS = {
  VALIDATION: HttpStatus.BAD_REQUEST,
  'VALIDATION.FAILED': HttpStatus.BAD_REQUEST,
  /** Nest's own 400s, e.g. ParseUUIDPipe: "Validation failed (uuid is expected)". */
  'HTTP.400': HttpStatus.BAD_REQUEST,
  'HTTP.BAD_IF_MATCH': HttpStatus.BAD_REQUEST,
  'HTTP.MALFORMED_JSON': HttpStatus.BAD_REQUEST,
  'HTTP.PAYLOAD_TOO_LARGE': HttpStatus.PAYLOAD_TOO_LARGE,
  'HTTP.UNSUPPORTED_MEDIA_TYPE': HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  'HTTP.PRECONDITION_REQUIRED': HttpStatus.PRECONDITION_REQUIRED,
  'AUTH.FORBIDDEN': HttpStatus.FORBIDDEN,
  'AUTH.PASSWORD_CHANGE_REQUIRED': HttpStatus.FORBIDDEN,
  'AUTH.ESCALATION': HttpStatus.FORBIDDEN,
  'AUTH.CURRENT_PASSWORD_REQUIRED': HttpStatus.FORBIDDEN,
  'AUTH.CURRENT_PASSWORD_INVALID': HttpStatus.FORBIDDEN,
  'SESSIONS.NOT_FOUND': HttpStatus.NOT_FOUND,
  'POLICY.INVALID_DOCUMENT': HttpStatus.BAD_REQUEST,
  'POLICY.INVALID_YAML': HttpStatus.BAD_REQUEST,
  'HEALTH.DATABASE_DOWN': HttpStatus.SERVICE_UNAVAILABLE,
  'HEALTH.TRANSPORT_DOWN': HttpStatus.SERVICE_UNAVAILABLE,
} as const satisfies Record<string, HttpStatus>;

/** RbacError and AuditError are always 400 (problem-details.filter.ts). */
const LIB_400: Record<RbacErrorCode | AuditErrorCode, HttpStatus> = {
  'RBAC.INVALID_PATTERN': HttpStatus.BAD_REQUEST,
  'RBAC.INVALID_RULE': HttpStatus.BAD_REQUEST,
  'AUDIT.INVALID_CURSOR': HttpStatus.BAD_REQUEST,
};

/** Every code an answer of admin-api can carry; a typo in `@ApiProblems` does not compile. */
export type ProblemCode =
  keyof typeof APP_STATUS | IdentityErrorCode | ClientRegistryErrorCode | RbacErrorCode | AuditErrorCode;

/** The status of each code: the same tables the problem filter answers with, so docs cannot drift. */
export const PROBLEM_STATUS: Readonly<Record<ProblemCode, HttpStatus>> = {
  ...APP_STATUS,
  ...LIB_400,
  ...IDENTITY_STATUS,
  ...REGISTRY_STATUS,
};

/** What the example of a code says (the real detail of the common ones; the rest get a generic line). */
const EXAMPLE_DETAIL: Partial<Record<ProblemCode, string>> = {
  VALIDATION: 'username must be longer than or equal to 3 characters',
  'HTTP.400': 'Validation failed (uuid is expected)',
  'HTTP.BAD_IF_MATCH': 'If-Match must be an ETag this API issued, e.g. "3"',
  'HTTP.PRECONDITION_REQUIRED':
    'send the version this update is based on: "version" in the body or an If-Match header with the ETag',
  'AUTH.UNAUTHENTICATED': 'missing bearer token',
  'IDENTITY.INVALID_TOKEN': 'invalid or expired token',
  'AUTH.FORBIDDEN': 'no http permission allows POST /api/users',
  'AUTH.PASSWORD_CHANGE_REQUIRED':
    'the generated initial password must be changed first: PUT /api/me/password {currentPassword, newPassword}',
  'AUTH.MFA_ENROLLMENT_REQUIRED':
    'MFA enrolment is required first: POST /api/me/mfa, then POST /api/me/mfa/confirm {otp}',
  'AUTH.ESCALATION': 'you cannot grant {http, /#, readWrite}: you do not hold it',
  'IDENTITY.USER_NOT_FOUND': 'user not found',
  'IDENTITY.ROLE_NOT_FOUND': 'role not found',
  'IDENTITY.USER_EXISTS': 'user "alice" already exists',
  'IDENTITY.ROLE_EXISTS': 'role "user-reader" already exists',
  'IDENTITY.VERSION_CONFLICT': 'version 3 is stale: the current version is 4',
  'IDENTITY.PRECONDITION_FAILED': 'If-Match "3" is stale: the current version is 4',
  'IDENTITY.RATE_LIMITED': 'too many failed logins; retry later',
  'IDENTITY.INVALID_CREDENTIALS': 'invalid username or password',
  'REGISTRY.RATE_LIMITED': 'too many registration attempts from this address; retry later',
  'REGISTRY.LOCKED': 'the registry is locked',
  'AUDIT.INVALID_CURSOR': 'cursor is not one this API handed out',
  'AUTH.CURRENT_PASSWORD_INVALID': '"currentPassword" is not your current password',
  'AUTH.CURRENT_PASSWORD_REQUIRED':
    'changing your own password, grant types or MFA enrolment needs your current password in "currentPassword"',
  'AUTH.MFA_ALREADY_ENABLED': 'MFA is already enabled: disable it first',
  'AUTH.MFA_BANNED': 'too many wrong codes; retry later',
  'AUTH.MFA_CODE_MISSING': 'send "otp" or "backupCode"',
  'AUTH.MFA_CODE_REJECTED': 'wrong or already used code',
  'AUTH.MFA_DISABLED': 'MFA is turned off on this server (MFA_ENABLED)',
  'AUTH.MFA_INVALID_CODE': 'wrong or already used code',
  'AUTH.MFA_KEY_MISMATCH': 'the stored MFA secret cannot be opened with the configured key',
  'AUTH.MFA_NOT_ENABLED': 'MFA is not enabled for this user',
  'AUTH.MFA_NOT_PENDING': 'no MFA enrolment awaits confirmation: POST /api/me/mfa first',
  'AUTH.MFA_REQUIRED': 'this user has MFA: send "otp" (or a "backupCode")',
  'AUTH.MFA_SELF_RESET': 'turn your own MFA off with DELETE /api/me/mfa {otp}',
  'AUTH.OIDC_STEP_UP_REQUIRED':
    'an administrator must sign in with the stronger authentication OIDC_ADMIN_ACR / OIDC_ADMIN_AMR ask for',
  'HEALTH.DATABASE_DOWN': 'the database does not answer',
  'HEALTH.TRANSPORT_DOWN': 'the transport does not take requests',
  'HTTP.MALFORMED_JSON': 'request body is not valid JSON',
  'HTTP.PAYLOAD_TOO_LARGE': 'request body larger than 65536 bytes',
  'HTTP.UNSUPPORTED_MEDIA_TYPE': 'the request body must be application/json',
  'IDENTITY.BUILT_IN_ROLE': 'built-in role "admin" cannot be changed or deleted',
  'IDENTITY.CERTIFICATE_NOT_FOUND': 'certificate not found',
  'IDENTITY.DIRECTORY_UNAVAILABLE': 'the directory does not answer',
  'IDENTITY.FEDERATED_NAME_CLASH': 'a local user already holds the name "alice"',
  'IDENTITY.FEDERATED_USER': "a federated user's password is the directory's",
  'IDENTITY.GRANT_REQUIRED':
    "the user's grant types do not admit a labelled token: grant type token not held (holds password)",
  'IDENTITY.INVALID_CURRENT_PASSWORD': 'the current password is wrong',
  'IDENTITY.INVALID_CURSOR': 'cursor is not one this API issued',
  'IDENTITY.OIDC_CLAIM_INVALID': 'the ID token lacks a usable username claim',
  'IDENTITY.OIDC_DISABLED': 'OpenID Connect is not configured (OIDC_ISSUER unset)',
  'IDENTITY.OIDC_ID_TOKEN_INVALID': 'the ID token does not verify',
  'IDENTITY.OIDC_LOGIN_EXPIRED': 'the login attempt expired: start again',
  'IDENTITY.OIDC_STATE_INVALID': 'unknown or already used state',
  'IDENTITY.PROVIDER_REFUSED': 'the provider refused the login (access_denied)',
  'IDENTITY.PROVIDER_UNAVAILABLE': 'the provider cannot be reached',
  'IDENTITY.REFRESH_NOT_SUPPORTED': 'only a federated login token can be refreshed',
  'IDENTITY.ROLE_VERSION_NOT_FOUND': 'role version 99 not found',
  'IDENTITY.ROLLBACK_NO_CHANGE': 'version 2 is the current content: nothing to roll back',
  'IDENTITY.TOKEN_LIFETIME_TOO_LONG': 'expireTimeInHours above LOGIN_TOKEN_MAX_HOURS (12)',
  'IDENTITY.TOKEN_NOT_FOUND': 'token not found',
  'IDENTITY.UNKNOWN_ROLE': 'unknown role 9b2c…',
  'IDENTITY.USER_DISABLED': 'the user is disabled',
  'IDENTITY.WEAK_PASSWORD': 'password must be at least 8 characters',
  'RBAC.INVALID_PATTERN': 'resource "a/#/b" is invalid: "#" must be the last level',
  'REGISTRY.CA_UNAVAILABLE': 'the certificate authority is not available',
  'REGISTRY.CONFLICT': 'a request with other credentials is pending for this username',
  'REGISTRY.INVALID_CSR': 'the CSR common name is not the username',
  'REGISTRY.INVALID_CURSOR': 'cursor is not one this API issued',
  'REGISTRY.INVALID_REQUEST': 'send a password, a CSR or both',
  'REGISTRY.REJECTED': 'the request with these credentials was rejected',
  'REGISTRY.REQUEST_EXPIRED': 'the request expired',
  'REGISTRY.REQUEST_NOT_FOUND': 'registration request not found',
  'REGISTRY.REQUEST_NOT_PENDING': 'the request was already decided',
  'REGISTRY.TOO_MANY_PENDING': 'too many pending requests; retry later',
  'SESSIONS.NOT_FOUND': 'no gateway holds a session with client id "press-17"',
  'VALIDATION.FAILED': 'clientId must be 1..256 characters',
};

const PROBLEMS = 'gatehouse:problems';
/** `@nestjs/swagger`'s DECORATORS.API_RESPONSE (not exported); test/admin-api/openapi-contract fails if it moves. */
const SWAGGER_RESPONSES = 'swagger/apiResponse';

interface Declared {
  readonly codes: readonly ProblemCode[];
  readonly omitted: readonly ProblemCode[];
}

/** The response entries this module wrote, so that a later application can replace them. */
const owned = new WeakSet<object>();

const title = (status: number) => HttpStatus[status]?.replace(/_/g, ' ').toLowerCase() ?? 'error';

const STATUS_DESCRIPTION: Partial<Record<number, string>> = {
  400: 'invalid request: the problem names the broken rule (`errors` lists each one)',
  401: 'not authenticated: no, an invalid, an expired or a revoked bearer token',
  403: 'authenticated, but not allowed',
  404: 'not found',
  409: 'conflict with the current state',
  412: 'If-Match names a version that is not the current one',
  413: 'request body too large',
  415: 'request body is not application/json',
  423: 'locked',
  428: 'no version sent: send If-Match or "version" in the body',
  429: 'too many attempts: see Retry-After',
  503: 'a dependency is unavailable',
};

function problemResponse(status: number, codes: readonly ProblemCode[]): object {
  const examples = Object.fromEntries(
    codes.map((code) => [
      code,
      {
        summary: code,
        value: {
          type: `urn:gatehouse:problem:${code.toLowerCase()}`,
          title: title(status),
          status,
          detail: EXAMPLE_DETAIL[code] ?? title(status),
          code,
          ...(code === 'VALIDATION' ? { errors: [EXAMPLE_DETAIL.VALIDATION] } : {}),
        },
      },
    ]),
  );
  const entry = {
    description: `${STATUS_DESCRIPTION[status] ?? title(status)}. Codes: ${codes.map((c) => `\`${c}\``).join(', ')}`,
    content: {
      'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsDto) }, examples },
    },
    ...(status === 429
      ? {
          headers: {
            'Retry-After': {
              description: 'seconds until a new attempt can succeed',
              schema: { type: 'integer', minimum: 1 },
            },
          },
        }
      : {}),
  };
  owned.add(entry);
  return entry;
}

function declare(method: object, add: readonly ProblemCode[], omit: readonly ProblemCode[]): void {
  const prev = (Reflect.getMetadata(PROBLEMS, method) as Declared | undefined) ?? { codes: [], omitted: [] };
  const next: Declared = {
    codes: [...new Set([...prev.codes, ...add])],
    omitted: [...new Set([...prev.omitted, ...omit])],
  };
  Reflect.defineMetadata(PROBLEMS, next, method);
  const responses: Record<string, object> = {
    ...((Reflect.getMetadata(SWAGGER_RESPONSES, method) as Record<string, object> | undefined) ?? {}),
  };
  for (const [status, entry] of Object.entries(responses)) if (owned.has(entry)) delete responses[status];
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of next.codes) {
    if (next.omitted.includes(code)) continue;
    const status = PROBLEM_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b))
    responses[String(status)] = problemResponse(status, codes);
  Reflect.defineMetadata(SWAGGER_RESPONSES, responses, method);
}

/**
 * Declares the problems a route can answer: each code under its status (the problem filter's own
 * table), as `application/problem+json` with the ProblemDetails schema and one example per code.
 * Applications accumulate in any order (the access decorators add 401/403 the same way).
 */
export function ApiProblems(...codes: readonly ProblemCode[]): MethodDecorator {
  return (_target, _key, descriptor) => {
    declare(descriptor.value as object, codes, []);
    return descriptor;
  };
}

/** Removes codes another decorator declared for this route (e.g. a route reachable before MFA enrolment). */
export function ApiProblemsOmit(...codes: readonly ProblemCode[]): MethodDecorator {
  return (_target, _key, descriptor) => {
    declare(descriptor.value as object, [], codes);
    return descriptor;
  };
}

/** The codes declared for a route (for tests). */
export function declaredProblems(method: object): readonly ProblemCode[] {
  const d = Reflect.getMetadata(PROBLEMS, method) as Declared | undefined;
  return d ? d.codes.filter((c) => !d.omitted.includes(c)) : [];
}

/** What any route with a JSON body can answer before its handler: the ValidationPipe and the JSON parser. */
export const BODY_PROBLEMS = ['VALIDATION', 'HTTP.MALFORMED_JSON'] as const satisfies readonly ProblemCode[];

/**
 * An update of a versioned row `:id` (SPEC 2.1, version.ts): a bad id or body, a malformed If-Match, a
 * stale version (409 for the body's, 412 for If-Match's) and none at all (428).
 */
export const VERSIONED_UPDATE_PROBLEMS = [
  'HTTP.400',
  ...BODY_PROBLEMS,
  'HTTP.BAD_IF_MATCH',
  'IDENTITY.VERSION_CONFLICT',
  'IDENTITY.PRECONDITION_FAILED',
  'HTTP.PRECONDITION_REQUIRED',
] as const satisfies readonly ProblemCode[];
