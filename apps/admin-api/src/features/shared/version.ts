import { HttpStatus } from '@nestjs/common';
import type { ExpectedVersion } from '@gatehouse/identity';
import { Problem } from '../../http/problem';

/**
 * The version an update is based on: `If-Match: "<version>"` (412 when stale) or `version` in the
 * body (409 when stale). Without either, the version the server just read is used, so a
 * concurrent change in between still cannot be lost.
 */
export function expectedVersion(
  ifMatch: string | undefined,
  bodyVersion: number | undefined,
  current: number,
): ExpectedVersion {
  if (ifMatch !== undefined) {
    const m = /^(?:W\/)?"(\d+)"$/.exec(ifMatch.trim());
    if (!m)
      throw new Problem(
        HttpStatus.BAD_REQUEST,
        'HTTP.BAD_IF_MATCH',
        'If-Match must be an ETag this API issued, e.g. "3"',
      );
    return { version: Number(m[1]), via: 'if-match' };
  }
  return { version: bodyVersion ?? current, via: 'body' };
}

export const etag = (version: number): string => `"${version}"`;
