/**
 * `@gatehouse/sdk`: a typed client of the Gatehouse admin API, generated from its OpenAPI document
 * (`src/generated`, `npm run sdk:generate`) with a small hand-written entry point: bearer auth and
 * problem details as a typed error.
 */
import { type Client, createClient, createConfig } from './generated/client';
import { GatehouseSdk } from './generated/sdk.gen';
import type { ProblemDetails } from './generated/types.gen';

export * from './generated/types.gen';
export { GatehouseSdk } from './generated/sdk.gen';
export type { Client } from './generated/client';

const PROBLEM_JSON = /^application\/problem\+json\b/i;

function isProblem(value: unknown): value is ProblemDetails {
  const p = value as Partial<Record<keyof ProblemDetails, unknown>> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.status === 'number' &&
    typeof p.code === 'string' &&
    typeof p.detail === 'string'
  );
}

/**
 * An error answer of the API. For an `application/problem+json` answer (every error Gatehouse sends),
 * `problem` is its RFC 9457 body and `code` its stable code (`IDENTITY.USER_EXISTS`); for anything else
 * (a proxy's HTML page), `code` is `HTTP.<status>` and `detail` the start of the body.
 */
export class GatehouseApiError extends Error {
  override readonly name = 'GatehouseApiError';
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly problem: ProblemDetails;
  /** Seconds from the `Retry-After` header of a 429 (or 503), when the server sent one. */
  readonly retryAfterSeconds: number | undefined;
  /** The HTTP answer (its body already read), when there was one. */
  readonly response: Response | undefined;

  constructor(problem: ProblemDetails, response?: Response) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.problem = problem;
    this.response = response;
    const retryAfter = Number(response?.headers.get('retry-after') ?? NaN);
    this.retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : undefined;
  }

  /** The error for an answer that is not 2xx, from its parsed body (JSON when it parsed, else text). */
  static fromResponse(response: Response, body: unknown): GatehouseApiError {
    if (PROBLEM_JSON.test(response.headers.get('content-type') ?? '') && isProblem(body))
      return new GatehouseApiError(body, response);
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return new GatehouseApiError(
      {
        type: 'about:blank',
        title: response.statusText.toLowerCase() || 'error',
        status: response.status,
        detail: (text ?? '').slice(0, 200),
        code: `HTTP.${response.status}`,
      },
      response,
    );
  }
}

export interface GatehouseClientOptions {
  /** The admin-api's origin, e.g. `https://gatehouse.example:3000` (the paths start with `/api`). */
  readonly baseUrl: string;
  /** The bearer token (from `auth.login`), or a function answering the current one. */
  readonly token?: string | (() => string | undefined | Promise<string | undefined>);
  /** Another `fetch` (tests, proxies); default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
  /** Headers sent with every request. */
  readonly headers?: Record<string, string>;
}

/** The SDK (`users`, `roles`, `clientRegistry`, …) with its token; every error throws a GatehouseApiError. */
export class GatehouseClient extends GatehouseSdk {
  /** The underlying fetch client (interceptors, `buildUrl`). */
  readonly http: Client;
  private readonly auth_: { token: GatehouseClientOptions['token'] };

  constructor(options: GatehouseClientOptions) {
    const auth: { token: GatehouseClientOptions['token'] } = { token: options.token };
    const http = createClient(
      createConfig({
        baseUrl: options.baseUrl.replace(/\/+$/, ''),
        throwOnError: true,
        // sent only on operations whose security names the bearer scheme (never on public ones)
        auth: () => (typeof auth.token === 'function' ? auth.token() : auth.token),
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.headers ? { headers: options.headers } : {}),
      }),
    );
    http.interceptors.error.use((error: unknown, response: Response | undefined) =>
      response ? GatehouseApiError.fromResponse(response, error) : error,
    );
    super({ client: http });
    this.http = http;
    this.auth_ = auth;
  }

  /** Uses another token from now on (e.g. after `auth.login`); `undefined` sends none. */
  setToken(token: GatehouseClientOptions['token']): void {
    this.auth_.token = token;
  }
}

/** A client of one admin-api: `createGatehouseClient({ baseUrl, token }).users.list()`. */
export function createGatehouseClient(options: GatehouseClientOptions): GatehouseClient {
  return new GatehouseClient(options);
}
