import { GatehouseApiError } from '@gatehouse/sdk';

/** A failure the CLI explains itself (no server answer behind it): its message and exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The network error code under a failed fetch (undici: TypeError('fetch failed') with a cause). */
function networkCode(err: unknown): string | undefined {
  let cause: unknown = err;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+/.test(code)) return code;
    const inner: unknown = cause.cause ?? (cause instanceof AggregateError ? cause.errors[0] : undefined);
    if (inner === undefined) break;
    cause = inner;
  }
  return undefined;
}

/**
 * One line for stderr: the server's problem detail with its code and status, or why the server
 * could not be reached. Never the request (its headers carry the token).
 */
export function describeError(err: unknown, url: string | undefined): string {
  if (err instanceof GatehouseApiError) return `${err.detail} (${err.code}, HTTP ${err.status})`;
  if (err instanceof CliError) return err.message;
  const code = networkCode(err);
  if (code !== undefined || (err instanceof TypeError && err.message === 'fetch failed'))
    return `cannot reach ${url ?? 'the server'}: ${code ?? (err as Error).message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
