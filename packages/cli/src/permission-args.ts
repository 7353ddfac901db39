import { InvalidArgumentError } from 'commander';
import type { PermissionDto, PermissionResponseDto } from '@gatehouse/sdk';

export const CONTEXTS = ['mqtt', 'http'] as const;
export const OPERATIONS = ['read', 'write', 'readWrite'] as const;

export function parseContext(value: string): PermissionDto['context'] {
  if ((CONTEXTS as readonly string[]).includes(value)) return value as PermissionDto['context'];
  throw new InvalidArgumentError('mqtt or http');
}

export function parseOperation(value: string): PermissionDto['operation'] {
  if ((OPERATIONS as readonly string[]).includes(value)) return value as PermissionDto['operation'];
  throw new InvalidArgumentError('read, write or readWrite');
}

export function parseQos(value: string): 0 | 1 | 2 {
  if (value === '0' || value === '1' || value === '2') return Number(value) as 0 | 1 | 2;
  throw new InvalidArgumentError('0, 1 or 2');
}

/** `--permission mqtt:read:sensors/#` (the resource last: a topic may hold ':'), `deny:` in front for a deny. */
export function parsePermissionSpec(value: string, previous: PermissionDto[] = []): PermissionDto[] {
  const parts = value.split(':');
  const effect = parts[0] === 'deny' || parts[0] === 'allow' ? (parts.shift() as 'allow' | 'deny') : 'allow';
  const [context, operation, ...rest] = parts;
  const resource = rest.join(':');
  if (context === undefined || operation === undefined || resource === '')
    throw new InvalidArgumentError('[allow:|deny:]<mqtt|http>:<read|write|readWrite>:<resource>');
  return [
    ...previous,
    { context: parseContext(context), operation: parseOperation(operation), resource, effect },
  ];
}

/** A permission as the API takes it back (the answer's id dropped, the defaults left out). */
export function toPermissionDto(p: PermissionResponseDto | PermissionDto): PermissionDto {
  return {
    context: p.context,
    resource: p.resource,
    operation: p.operation,
    effect: p.effect ?? 'allow',
    ...(p.maxQos !== undefined ? { maxQos: p.maxQos } : {}),
    ...(p.retain !== undefined ? { retain: p.retain } : {}),
  };
}

export const samePermission = (a: PermissionDto, b: PermissionDto): boolean =>
  a.context === b.context &&
  a.resource === b.resource &&
  a.operation === b.operation &&
  (a.effect ?? 'allow') === (b.effect ?? 'allow');
