import { HttpStatus, ValidationPipe, type ValidationError } from '@nestjs/common';
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

/** Whitelisting validation for every body, query and param: unknown fields are a 400. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
