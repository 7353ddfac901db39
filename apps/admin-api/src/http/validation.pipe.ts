import { type ArgumentMetadata, HttpStatus, ValidationPipe, type ValidationError } from '@nestjs/common';
import { Problem } from './problem';

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) =>
      m.startsWith(e.property) ? `${prefix ? prefix + '.' : ''}${m}` : `${path}: ${m}`,
    );
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/**
 * The first query-string or path parameter holding U+0000 (PostgreSQL text cannot hold it, so it
 * would otherwise reach the database as a query error). Bodies are checked by the JSON parser
 * (json-limits.ts).
 */
function nulParameter(value: unknown, prefix = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? prefix || 'parameter' : undefined;
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = nulParameter(v, prefix);
      if (found) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const found = nulParameter(v, prefix ? `${prefix}.${k}` : k);
      if (found) return found;
    }
  }
  return undefined;
}

class GatehouseValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'query' || metadata.type === 'param') {
      const name = nulParameter(value, metadata.type === 'param' ? (metadata.data ?? '') : '');
      if (name !== undefined) {
        const message = `${name} must not contain U+0000 (NUL)`;
        throw new Problem(HttpStatus.BAD_REQUEST, 'VALIDATION', message, { errors: [message] });
      }
    }
    return super.transform(value, metadata);
  }
}

/**
 * Whitelisting validation for every body, query and param: unknown fields are a 400, and so is a
 * NUL byte in a query string or path parameter.
 */
export function createValidationPipe(): ValidationPipe {
  return new GatehouseValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    exceptionFactory: (errors) => {
      const messages = flatten(errors);
      return new Problem(HttpStatus.BAD_REQUEST, 'VALIDATION', messages.join('; ') || 'invalid request', {
        errors: messages,
      });
    },
  });
}
