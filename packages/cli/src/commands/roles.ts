import type { Command } from 'commander';
import type { GatehouseClient, PermissionDto, RoleResponseDto, UpdateRoleDto } from '@gatehouse/sdk';
import { fields, permissionText, table } from '../output';
import {
  parseContext,
  parseOperation,
  parsePermissionSpec,
  parseQos,
  samePermission,
  toPermissionDto,
} from '../permission-args';
import { confirm } from '../prompt';
import { allPages, resolveRole, resolveUser } from '../resolve';
import type { GlobalOptions, Runtime } from '../runtime';
import { updateUser } from './users';

async function updateRole(
  gh: GatehouseClient,
  role: RoleResponseDto,
  body: UpdateRoleDto,
): Promise<RoleResponseDto> {
  return (await gh.roles.update({ path: { id: role.id }, body: { ...body, version: role.version } })).data;
}

function roleDetails(r: RoleResponseDto): string {
  return [
    fields([
      ['Name', r.name],
      ['Id', r.id],
      ['Description', r.description],
      ['Built in', r.builtIn],
      ['Directory groups', r.externalGroups.join(', ')],
      ['Version', r.version],
      ['Updated', r.updatedAt],
    ]),
    '',
    r.permissions.length > 0
      ? table(
          ['effect', 'context', 'operation', 'resource', 'limits'],
          r.permissions.map((p) => [
            p.effect,
            p.context,
            p.operation,
            p.resource,
            [p.maxQos !== undefined ? `maxQos=${p.maxQos}` : '', p.retain === false ? 'no-retain' : '']
              .filter(Boolean)
              .join(', '),
          ]),
        )
      : 'No permissions.',
  ].join('\n');
}

interface PermissionOptions {
  deny?: boolean;
  maxQos?: 0 | 1 | 2;
  retain?: boolean;
}

function permissionOf(
  context: string,
  resource: string,
  operation: string,
  o: PermissionOptions,
): PermissionDto {
  return {
    context: parseContext(context),
    resource,
    operation: parseOperation(operation),
    effect: o.deny === true ? 'deny' : 'allow',
    ...(o.maxQos !== undefined ? { maxQos: o.maxQos } : {}),
    ...(o.retain === false ? { retain: false } : {}),
  };
}

const PERMISSION_HELP = [
  '',
  'Examples:',
  "  gatehouse roles add-permission readers mqtt 'sensors/#' read",
  "  gatehouse roles add-permission devices mqtt 'cmd/${clientId}/#' write --max-qos 1 --no-retain",
].join('\n');

export function registerRoles(program: Command, rt: Runtime): void {
  const roles = program
    .command('roles')
    .description('list, create and delete roles; change their permissions');

  roles
    .command('list')
    .description('list roles (every page)')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const gh = rt.client(opts);
      const page = await allPages((cursor) =>
        gh.roles.list({ query: { limit: 200, ...(cursor ? { cursor } : {}) } }),
      );
      rt.output(opts, page, () =>
        table(
          ['name', 'id', 'permissions', 'built in', 'description'],
          page.items.map((r) => [r.name, r.id, r.permissions.length, r.builtIn ? 'yes' : '', r.description]),
        ),
      );
    });

  roles
    .command('get')
    .description('show one role and its permissions')
    .argument('<role>', 'name or id')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const role = await resolveRole(rt.client(opts), ref);
      rt.output(opts, role, () => roleDetails(role));
    });

  roles
    .command('create')
    .description('create a role')
    .argument('<name>')
    .option('--description <text>')
    .option(
      '--permission <spec>',
      'a permission, [deny:]<mqtt|http>:<read|write|readWrite>:<resource> (repeat for more)',
      parsePermissionSpec,
    )
    .action(async (name: string, o: { description?: string; permission?: PermissionDto[] }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const { data } = await rt.client(opts).roles.create({
        body: {
          name,
          ...(o.description !== undefined ? { description: o.description } : {}),
          permissions: o.permission ?? [],
        },
      });
      rt.output(opts, data, () => `Created role ${data.name} (${data.id}).`);
    });

  roles
    .command('delete')
    .description('delete a role (its holders lose its permissions at once)')
    .argument('<role>', 'name or id')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (ref: string, o: { yes?: boolean }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const gh = rt.client(opts);
      const role = await resolveRole(gh, ref);
      await confirm(rt.io, `Delete role ${role.name} (${role.id})?`, o.yes);
      await gh.roles.delete({ path: { id: role.id } });
      rt.output(opts, { id: role.id, name: role.name, deleted: true }, () => `Deleted role ${role.name}.`);
    });

  roles
    .command('add-permission')
    .description('add a permission to a role')
    .argument('<role>', 'name or id')
    .argument('<context>', 'mqtt or http')
    .argument('<resource>', 'MQTT topic filter (+, #, ${username}, ${clientId}) or HTTP path')
    .argument('<operation>', 'read, write or readWrite')
    .option('--deny', 'a deny rule (beats every allow)')
    .option('--max-qos <qos>', 'mqtt write: the highest QoS it admits', parseQos)
    .option('--no-retain', 'mqtt write: refuse retained publishes')
    .addHelpText('after', PERMISSION_HELP)
    .action(
      async (
        ref: string,
        context: string,
        resource: string,
        operation: string,
        o: PermissionOptions,
        cmd: Command,
      ) => {
        const opts = cmd.optsWithGlobals<GlobalOptions>();
        const gh = rt.client(opts);
        const role = await resolveRole(gh, ref);
        const permission = permissionOf(context, resource, operation, o);
        const current = role.permissions.map(toPermissionDto);
        if (current.some((p) => samePermission(p, permission))) {
          rt.note(`gatehouse: role ${role.name} already has ${permissionText(permission)}; nothing changed`);
          return rt.output(opts, role, () => `Role ${role.name}: unchanged.`);
        }
        const updated = await updateRole(gh, role, { permissions: [...current, permission] });
        rt.output(opts, updated, () => `Role ${updated.name}: added ${permissionText(permission)}.`);
      },
    );

  roles
    .command('remove-permission')
    .description('remove a permission from a role')
    .argument('<role>', 'name or id')
    .argument('<context>', 'mqtt or http')
    .argument('<resource>')
    .argument('<operation>', 'read, write or readWrite')
    .option('--deny', 'the deny rule of that resource')
    .action(
      async (
        ref: string,
        context: string,
        resource: string,
        operation: string,
        o: PermissionOptions,
        cmd: Command,
      ) => {
        const opts = cmd.optsWithGlobals<GlobalOptions>();
        const gh = rt.client(opts);
        const role = await resolveRole(gh, ref);
        const permission = permissionOf(context, resource, operation, { deny: o.deny });
        const current = role.permissions.map(toPermissionDto);
        const kept = current.filter((p) => !samePermission(p, permission));
        if (kept.length === current.length) {
          rt.note(`gatehouse: role ${role.name} has no ${permissionText(permission)}; nothing changed`);
          return rt.output(opts, role, () => `Role ${role.name}: unchanged.`);
        }
        const updated = await updateRole(gh, role, { permissions: kept });
        rt.output(opts, updated, () => `Role ${updated.name}: removed ${permissionText(permission)}.`);
      },
    );

  for (const [name, give] of [
    ['grant', true],
    ['revoke', false],
  ] as const) {
    program
      .command(name)
      .description(give ? 'give a user a role' : 'take a role from a user')
      .argument('<user>', 'username or id')
      .argument('<role>', 'role name or id')
      .action(async (userRef: string, roleRef: string, _o: unknown, cmd: Command) => {
        const opts = cmd.optsWithGlobals<GlobalOptions>();
        const gh = rt.client(opts);
        const [user, role] = await Promise.all([resolveUser(gh, userRef), resolveRole(gh, roleRef)]);
        const has = user.roles.includes(role.id);
        if (give === has) {
          rt.note(
            `gatehouse: ${user.username} ${has ? 'already holds' : 'does not hold'} role ${role.name}; nothing changed`,
          );
          return rt.output(opts, user, () => `User ${user.username}: unchanged.`);
        }
        const roles = give ? [...user.roles, role.id] : user.roles.filter((r) => r !== role.id);
        const updated = await updateUser(gh, user, { roles });
        rt.output(opts, updated, () =>
          give
            ? `Granted role ${role.name} to ${user.username}.`
            : `Revoked role ${role.name} from ${user.username}.`,
        );
      });
  }
}
