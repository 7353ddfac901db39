import type { IncomingMessage } from 'node:http';
import { TextDecoder } from 'node:util';

/** Deepest nesting of arrays and objects a request body may have (the deepest DTO needs 4). */
export const MAX_JSON_DEPTH = 32;

/** A body the JSON parser refuses; body-parser passes `status` and `type` on to the problem filter. */
export class JsonLimitError extends Error {
  readonly status = 400;
  readonly expose = true;
  constructor(
    readonly type:
      'json.too.deep' | 'json.number.out.of.range' | 'json.nul' | 'json.invalid.text' | 'charset.unsupported',
    message: string,
  ) {
    super(message);
  }
}

/** The raw size of the parsed JSON body (set by the parser, read by routes with smaller limits). */
export const JSON_BODY_BYTES = Symbol('jsonBodyBytes');
export type RequestWithJsonSize = IncomingMessage & { [JSON_BODY_BYTES]?: number };

const invalidText = (what: string) =>
  new JsonLimitError(
    'json.invalid.text',
    `request body holds ${what}, which UTF-8 text cannot hold; it is refused rather than stored altered`,
  );

function escapedUnit(text: string, at: number): number {
  // `at` is the index of the backslash of a \uXXXX escape; NaN when it is not one
  if (text.charCodeAt(at) !== 92 || text.charCodeAt(at + 1) !== 117) return Number.NaN;
  const hex = text.slice(at + 2, at + 6);
  return /^[0-9a-fA-F]{4}$/.test(hex) ? parseInt(hex, 16) : Number.NaN;
}

/** Checks the \uXXXX escape at `at`; returns the index of its last character (of the pair's, for a pair). */
function checkUnicodeEscape(text: string, at: number): number {
  const unit = escapedUnit(text, at);
  if (Number.isNaN(unit)) return at + 1; // not a valid escape: the parser refuses it
  if (unit >= 0xdc00 && unit <= 0xdfff) throw invalidText('a lone surrogate escape (a low one first)');
  if (unit < 0xd800 || unit > 0xdbff) return at + 5;
  const next = escapedUnit(text, at + 6);
  if (!(next >= 0xdc00 && next <= 0xdfff))
    throw invalidText('a lone surrogate escape (a high one not followed by a low one)');
  return at + 11;
}

function isNumberChar(c: number): boolean {
  // 0-9 . - + e E
  return (c >= 48 && c <= 57) || c === 46 || c === 45 || c === 43 || c === 101 || c === 69;
}

/**
 * One linear pass over the JSON text before it is parsed (no recursion, so any depth is safe to
 * check): refuses nesting deeper than {@link MAX_JSON_DEPTH} and numbers that a JavaScript number
 * cannot hold exactly enough to be meant: not finite (`1e400`), or integral but beyond
 * `Number.MAX_SAFE_INTEGER` (`1e308`, `9007199254740993`), and strings holding U+0000. Text that is not JSON is left to the
 * parser, which refuses it.
 */
export function checkJsonLimits(text: string, maxDepth = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // U+0000 in a string: PostgreSQL text cannot hold it (it would fail as a 500), nothing needs it
      if (c === 0 || (c === 92 && text.startsWith('u0000', i + 1)))
        throw new JsonLimitError(
          'json.nul',
          'request body holds a string with U+0000 (NUL), which is refused',
        );
      if (c === 92) {
        // backslash: a \uXXXX escape of a surrogate must be a high one followed by a low one
        if (text.charCodeAt(i + 1) === 117) i = checkUnicodeEscape(text, i);
        else i++; // skip the escaped character
      } else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > maxDepth) {
        throw new JsonLimitError('json.too.deep', `request body nested deeper than ${maxDepth} levels`);
      }
    } else if (c === 93 || c === 125) depth--;
    else if (c === 45 || (c >= 48 && c <= 57)) {
      let j = i + 1;
      while (j < text.length && isNumberChar(text.charCodeAt(j))) j++;
      const token = text.slice(i, j);
      const value = Number(token);
      if (
        !Number.isNaN(value) &&
        (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value)))
      ) {
        throw new JsonLimitError(
          'json.number.out.of.range',
          `request body holds a number out of range (${token.length > 24 ? `${token.slice(0, 24)}…` : token}); integers must be within ±${Number.MAX_SAFE_INTEGER}`,
        );
      }
      i = j - 1;
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(buf: Buffer, encoding: string | null): string {
  if (!encoding || encoding === 'utf-8' || encoding === 'utf8') {
    try {
      return utf8.decode(buf);
    } catch {
      throw invalidText('bytes that are not UTF-8');
    }
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch {
    throw new JsonLimitError('charset.unsupported', `unsupported charset "${encoding}"`);
  }
  try {
    return decoder.decode(buf);
  } catch {
    throw invalidText(`bytes that are not ${encoding}`);
  }
}

/** Options for the one JSON body parser of admin-api (`app.useBodyParser('json', …)`). */
export function jsonBodyParserOptions(limit: string) {
  return {
    limit,
    verify(req: IncomingMessage, _res: unknown, buf: Buffer, encoding: string | null): void {
      (req as RequestWithJsonSize)[JSON_BODY_BYTES] = buf.length;
      checkJsonLimits(decode(buf, encoding));
    },
  };
}
