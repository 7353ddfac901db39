import {
  createGatehouseClient,
  GatehouseApiError,
  type GatehouseClient,
  type ProblemDetails,
} from '@gatehouse/sdk';

/** A client of the test's admin-api, with a token or none. */
export const sdkClient = (baseUrl: string, token?: string): GatehouseClient =>
  createGatehouseClient({ baseUrl, ...(token !== undefined ? { token } : {}) });

/** An answer as a test asserts it: status, body (the data, or the problem), lower-case headers. */
export interface Answer<T> {
  status: number;
  body: T & Partial<ProblemDetails>;
  headers: Record<string, string>;
}

const headersOf = (response: Response | undefined): Record<string, string> =>
  Object.fromEntries(response ? [...response.headers.entries()] : []);

/**
 * Awaits an SDK call and answers its status, body and headers whether it succeeded or was refused
 * (a GatehouseApiError), so that a suite asserts a 409 the way it asserts a 200. Anything else
 * (a network error) is rethrown.
 */
export async function answer<T>(call: Promise<{ data: T; response: Response }>): Promise<Answer<T>> {
  try {
    const { data, response } = await call;
    return {
      status: response.status,
      body: data as T & Partial<ProblemDetails>,
      headers: headersOf(response),
    };
  } catch (err) {
    if (!(err instanceof GatehouseApiError)) throw err;
    return {
      status: err.response?.status ?? err.status,
      body: err.problem as T & Partial<ProblemDetails>,
      headers: headersOf(err.response),
    };
  }
}

/** `answer(call)`, asserting its status (as supertest's `.expect(status)` does). */
export async function expectAnswer<T>(
  call: Promise<{ data: T; response: Response }>,
  status: number,
): Promise<Answer<T>> {
  const res = await answer(call);
  expect({ status: res.status, body: res.body }).toEqual({ status, body: res.body });
  return res;
}
