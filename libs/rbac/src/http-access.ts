import type { AccessKind } from './permission.types';

/**
 * The access an HTTP method needs (SPEC 1.1): `GET`, `HEAD`, `OPTIONS` → `read`;
 * `POST`, `PUT`, `PATCH`, `DELETE` → `write`; anything else (including lower-case spellings, which
 * are different methods per RFC 9110 §9.1, and `TRACE`/`CONNECT`) → `null`, i.e. deny.
 */
export function httpAccessForMethod(method: string): AccessKind | null {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
      return 'read';
    case 'POST':
    case 'PUT':
    case 'PATCH':
    case 'DELETE':
      return 'write';
    default:
      return null;
  }
}

/**
 * The path part of a request target: everything before the first `?` (SPEC 1.1: query strings are
 * never part of the match). Nothing else is normalized: no percent-decoding, no case folding, no
 * removal of `.`/`..` or of empty levels; a trailing slash is a distinct, empty last level
 * (`/api/users/` has the levels `''`, `api`, `users`, `''`).
 */
export function stripQuery(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}
