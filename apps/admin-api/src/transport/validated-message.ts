import type { Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { ContractViolationError, validateMessage } from '@gatehouse/contracts';

/** Runs `fn`; an error becomes an `RpcException` with the error's stable code, never a stack. */
export function rpcGuard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new RpcException({ code: e.code ?? 'TRANSPORT.ERROR', message: e.message ?? 'error' });
  }
}

/**
 * The payload as its contract DTO (CONVENTIONS "Validate at every edge"). An invalid message is
 * answered with `CONTRACTS.INVALID_MESSAGE` and logged as a warning naming the problem; it never
 * reaches a service or the database.
 */
export function validatedMessage<T extends object>(
  logger: Logger,
  pattern: string,
  cls: new () => T,
  payload: unknown,
): T {
  try {
    return validateMessage(cls, payload);
  } catch (err) {
    if (err instanceof ContractViolationError)
      logger.warn(`${pattern}: invalid message refused: ${err.message}`);
    return rpcGuard(() => {
      throw err;
    });
  }
}
