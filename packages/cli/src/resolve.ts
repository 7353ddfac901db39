import {
  GatehouseApiError,
  type GatehouseClient,
  type RoleResponseDto,
  type UserResponseDto,
} from '@gatehouse/sdk';
import { CliError } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (s: string): boolean => UUID.test(s);

/** Every page of a cursor-paged list, as one `{items, nextCursor: null}` page. */
export async function allPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ data: { items: T[]; nextCursor: string | null } }>,
): Promise<{ items: T[]; nextCursor: null }> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const { data } = await fetchPage(cursor);
    items.push(...data.items);
    cursor = data.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return { items, nextCursor: null };
}

/** A user by id or by username (usernames are unique regardless of case, ADR 0007). */
export async function resolveUser(gh: GatehouseClient, ref: string): Promise<UserResponseDto> {
  if (isUuid(ref)) return (await gh.users.get({ path: { id: ref } })).data;
  const page = await allPages((cursor) =>
    gh.users.list({ query: { username: ref, limit: 200, ...(cursor ? { cursor } : {}) } }),
  );
  const user = page.items.find((u) => u.username.toLowerCase() === ref.toLowerCase());
  if (!user) throw new CliError(`no user named "${ref}"`);
  return user;
}

/** A role by id or by name. */
export async function resolveRole(gh: GatehouseClient, ref: string): Promise<RoleResponseDto> {
  if (isUuid(ref)) return (await gh.roles.get({ path: { id: ref } })).data;
  const { data } = await gh.roles.list({ query: { name: ref, limit: 200 } });
  const role =
    data.items.find((r) => r.name === ref) ??
    data.items.find((r) => r.name.toLowerCase() === ref.toLowerCase());
  if (!role) throw new CliError(`no role named "${ref}"`);
  return role;
}

/** Role id → name, for tables (ids stay ids when the caller may not list roles). */
export async function roleNames(gh: GatehouseClient): Promise<Map<string, string>> {
  try {
    const page = await allPages((cursor) =>
      gh.roles.list({ query: { limit: 200, ...(cursor ? { cursor } : {}) } }),
    );
    return new Map(page.items.map((r) => [r.id, r.name]));
  } catch (err) {
    if (err instanceof GatehouseApiError && err.status === 403) return new Map();
    throw err;
  }
}
