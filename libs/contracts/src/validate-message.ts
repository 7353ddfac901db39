import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

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
    const details = errors
      .map(
        (e) =>
          `${e.property}: ${Object.values(e.constraints ?? { nested: 'invalid nested value' }).join(', ')}`,
      )
      .join('; ');
    throw new ContractViolationError(`${cls.name}: ${details}`);
  }
  return instance;
}
