import { plainToInstance } from 'class-transformer';
import { type ValidationError, validateSync } from 'class-validator';

/** Thrown when a transport message does not match its DTO. */
export class ContractViolationError extends Error {
  readonly code = 'CONTRACTS.INVALID_MESSAGE';
  constructor(message: string) {
    super(message);
    this.name = 'ContractViolationError';
  }
}

/**
 * Validates a message received on the transport against its DTO class (the same classes as
 * the sender uses) and returns a typed instance. Unknown properties are rejected.
 */
export function validateMessage<T extends object>(cls: new () => T, payload: unknown): T {
  if (payload === null || typeof payload !== 'object') {
    throw new ContractViolationError(`${cls.name}: payload must be an object`);
  }
  const instance = plainToInstance(cls, payload);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    const details = describe(errors).join('; ');
    throw new ContractViolationError(`${cls.name}: ${details}`);
  }
  return instance;
}

/** Each failed constraint with its path (`refusals.0.count: …`), nested DTOs included. */
function describe(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = `${prefix}${e.property}`;
    const own = e.constraints ? [`${path}: ${Object.values(e.constraints).join(', ')}`] : [];
    const nested = e.children?.length ? describe(e.children, `${path}.`) : [];
    return own.length + nested.length > 0 ? [...own, ...nested] : [`${path}: invalid nested value`];
  });
}
