import { HttpStatus } from '@nestjs/common';
import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { ExpectedVersion } from '@gatehouse/identity';
import { Problem } from '../../http/problem';

/** Versions are PostgreSQL `integer` columns: 1 … 2^31-1. */
export const MAX_VERSION = 2_147_483_647;

/** The optional `version` field of an update body: a positive integer a row can have. */
export function VersionField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description:
        'the version this update is based on (409 when stale); or send If-Match. One of the two is required (428 without).',
      minimum: 1,
      maximum: MAX_VERSION,
      type: 'integer',
    }),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(MAX_VERSION),
  );
}

/**
 * The version an update is based on: `If-Match: "<version>"` (412 when stale) or `version` in the
 * body (409 when stale). Without either, 428: no update is applied blind (SPEC 2.1).
 */
export function expectedVersion(
  ifMatch: string | undefined,
  bodyVersion: number | undefined,
): ExpectedVersion {
  if (ifMatch !== undefined) {
    const m = /^(?:W\/)?"([1-9]\d{0,9})"$/.exec(ifMatch.trim());
    const version = m ? Number(m[1]) : NaN;
    if (!(version <= MAX_VERSION))
      throw new Problem(
        HttpStatus.BAD_REQUEST,
        'HTTP.BAD_IF_MATCH',
        'If-Match must be an ETag this API issued, e.g. "3"',
      );
    return { version, via: 'if-match' };
  }
  if (bodyVersion === undefined) {
    throw new Problem(
      HttpStatus.PRECONDITION_REQUIRED,
      'HTTP.PRECONDITION_REQUIRED',
      'send the version this update is based on: "version" in the body or an If-Match header with the ETag',
    );
  }
  return { version: bodyVersion, via: 'body' };
}

export const etag = (version: number): string => `"${version}"`;

/** The `ETag` header of an answer carrying a versioned row (OpenAPI response headers). */
export const ETAG_HEADER = {
  ETag: {
    description: 'the version of the row, quoted (e.g. "3"): send it back as If-Match',
    schema: { type: 'string', example: '"3"' },
  },
};
