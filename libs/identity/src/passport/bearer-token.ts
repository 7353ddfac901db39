/** The request parts a strategy reads: never the query string, a cookie or the body for a bearer token. */
export interface StrategyRequest {
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  ip?: string;
}

/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750 2.1), or null. Only the header:
 * a token in the query string (RFC 6750 2.3) or a cookie is ignored, it would end up in logs and
 * histories, or be sent by the browser on its own.
 */
export function bearerTokenOf(req: StrategyRequest): string | null {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null;
  return match ? match[1] : null;
}
