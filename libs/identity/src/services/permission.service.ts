import { Injectable } from '@nestjs/common';
import { IdentityError } from '../identity.error';
import type { Page, PageRequest, PermissionHolders } from '../identity.types';
import { decodeCursor, encodeCursor } from '../paging';
import { type PermissionKey, PermissionRepository } from '../repositories/permission.repository';

/** The read-only view over every permission held directly by users and roles (SPEC 2.3). */
@Injectable()
export class PermissionService {
  constructor(private readonly permissions: PermissionRepository) {}

  /** Each distinct permission (effect and limits included), sorted, with the users and roles holding it directly. */
  async listHolders(page: PageRequest): Promise<Page<PermissionHolders>> {
    const after = decodeCursor(page.cursor);
    const rows = await this.permissions.listHolders({
      after: after === undefined ? undefined : parseKey(after),
      limit: page.limit + 1,
    });
    const more = rows.length > page.limit;
    const items = rows.slice(0, page.limit);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: more ? encodeCursor(JSON.stringify(keyOf(last))) : null,
    };
  }
}

function keyOf(p: PermissionHolders): PermissionKey {
  const retain = p.retain === undefined ? 2 : Number(p.retain);
  return [p.context, p.resource, p.operation, p.effect, p.maxQos ?? 3, retain];
}

function parseKey(key: string): PermissionKey {
  try {
    const k = JSON.parse(key) as unknown;
    if (
      Array.isArray(k) &&
      k.length === 6 &&
      k.slice(0, 4).every((x) => typeof x === 'string') &&
      k.slice(4).every((x) => Number.isInteger(x))
    )
      return k as PermissionKey;
  } catch {
    /* fall through */
  }
  throw new IdentityError('IDENTITY.INVALID_CURSOR', 'cursor is not one this API issued');
}
