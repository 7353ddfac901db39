import { checkJsonLimits, JsonLimitError, MAX_JSON_DEPTH } from './json-limits';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('checkJsonLimits', () => {
  it(`accepts nesting up to ${MAX_JSON_DEPTH} levels and refuses one more`, () => {
    expect(() => checkJsonLimits(nested(MAX_JSON_DEPTH))).not.toThrow();
    expect(() => checkJsonLimits(nested(MAX_JSON_DEPTH + 1))).toThrow(JsonLimitError);
    expect(() => checkJsonLimits('{"a":'.repeat(40) + '1' + '}'.repeat(40))).toThrow(/nested deeper/);
  });

  it('refuses 30,000 levels without recursion', () => {
    expect(() => checkJsonLimits(nested(30_000))).toThrow(/nested deeper than 32/);
    expect(() => checkJsonLimits('['.repeat(1_000_000))).toThrow(/nested deeper/);
  });

  it('refuses U+0000 in a string (PostgreSQL text cannot hold it), not an escaped backslash before u0000', () => {
    expect(() => checkJsonLimits('{"name":"\\u0000"}')).toThrow(/U\+0000/);
    expect(() => checkJsonLimits('{"name":"a\\u0000b"}')).toThrow(/U\+0000/);
    expect(() => checkJsonLimits('{"name":"\\\\u0000"}')).not.toThrow();
  });

  it('refuses lone surrogate escapes, accepts pairs and an escaped backslash before "ud800"', () => {
    expect(() => checkJsonLimits('{"a":"\\ud800"}')).toThrow(/lone surrogate/);
    expect(() => checkJsonLimits('{"a":"\\udfff x"}')).toThrow(/lone surrogate/);
    expect(() => checkJsonLimits('{"a":"\\uD800\\u0041"}')).toThrow(/lone surrogate/);
    expect(() => checkJsonLimits('{"a":"\\ud83d\\ude00"}')).not.toThrow();
    expect(() => checkJsonLimits('{"a":"\\\\ud800"}')).not.toThrow();
    expect(() => checkJsonLimits('{"a":"\\u00e9\\u20ac"}')).not.toThrow();
  });

  it('does not count brackets or digits inside strings', () => {
    const s = JSON.stringify({ a: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ 1e999 \\" [[[[', b: 'x\\"[[' });
    expect(() => checkJsonLimits(s, 2)).not.toThrow();
  });

  it.each([
    '1e308',
    '-1e308',
    '1e400',
    '-1e400',
    '9007199254740993',
    '123456789012345678901234567890',
    '1E309',
  ])('refuses %s', (n) => {
    expect(() => checkJsonLimits(`{"version":${n}}`)).toThrow(
      expect.objectContaining({ type: 'json.number.out.of.range', status: 400 }),
    );
  });

  it.each([
    '0',
    '-1',
    '1.5',
    '9007199254740991',
    '-9007199254740991',
    '2147483648',
    '1e-400',
    '1.7976931348623157e-300',
    '0.1e2',
  ])('accepts %s', (n) => {
    expect(() => checkJsonLimits(`[${n}, {"x": ${n}}]`)).not.toThrow();
  });
});
