import type { Command } from 'commander';
import type { GatehouseClient, UpdateUserDtoWritable, UserResponseDto } from '@gatehouse/sdk';
import { fields, permissionText, table } from '../output';
import { confirm } from '../prompt';
import { allPages, resolveRole, resolveUser, roleNames } from '../resolve';
import type { GlobalOptions, Runtime } from '../runtime';
import { type PasswordOptions, readPassword } from './auth';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** PATCH /api/users/{id} based on the version just read (409 when someone changed it meanwhile). */
export async function updateUser(
  gh: GatehouseClient,
  user: UserResponseDto,
  body: UpdateUserDtoWritable,
): Promise<UserResponseDto> {
  return (await gh.users.update({ path: { id: user.id }, body: { ...body, version: user.version } })).data;
}

function userTable(users: UserResponseDto[], names: Map<string, string>): string {
  return table(
    ['username', 'id', 'enabled', 'roles', 'grant types', 'last login'],
    users.map((u) => [
      u.username,
      u.id,
      u.enabled ? 'yes' : 'no',
      u.roles.map((r) => names.get(r) ?? r).join(', '),
      u.grantTypes.map((g) => g.method).join(', '),
      u.lastLoginAt,
    ]),
  );
}

export function userDetails(u: UserResponseDto, names: Map<string, string>): string {
  const lines = [
    fields([
      ['Username', u.username],
      ['Id', u.id],
      ['Provider', u.identityProvider],
      ['Enabled', u.enabled],
      ['Roles', u.roles.map((r) => names.get(r) ?? r).join(', ')],
      ['Grant types', u.grantTypes.map((g) => `${g.method}${g.isRequired ? ' (required)' : ''}`).join(', ')],
      ['Publish prefix', u.mqttPublishPrefix],
      ['MFA enforced', u.enforceMFAEnrollment],
      ['Certificates', u.certificates.length],
      ['Created', u.createdAt],
      ['Last login', u.lastLoginAt],
      ['Version', u.version],
    ]),
  ];
  if (u.permissions.length > 0)
    lines.push('', 'Direct permissions:', ...u.permissions.map((p) => `  ${permissionText(p)}`));
  return lines.join('\n');
}

export function registerUsers(program: Command, rt: Runtime): void {
  const users = program.command('users').description('list, create, change and delete users');

  users
    .command('list')
    .description('list users (every page)')
    .option('--filter <text>', 'only usernames containing this text (any case)')
    .action(async (o: { filter?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const gh = rt.client(opts);
      const page = await allPages((cursor) =>
        gh.users.list({
          query: { limit: 200, ...(cursor ? { cursor } : {}), ...(o.filter ? { username: o.filter } : {}) },
        }),
      );
      const names = opts.json === true ? new Map<string, string>() : await roleNames(gh);
      rt.output(opts, page, () => userTable(page.items, names));
    });

  users
    .command('get')
    .description('show one user')
    .argument('<user>', 'username or id')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const gh = rt.client(opts);
      const user = await resolveUser(gh, ref);
      const names = opts.json === true ? new Map<string, string>() : await roleNames(gh);
      rt.output(opts, user, () => userDetails(user, names));
    });

  users
    .command('create')
    .description('create a user (a local one: with a password it can log in and connect)')
    .argument('<username>')
    .option('--password-stdin', 'read its password from the first line of stdin')
    .option('--no-password', 'create it without a password (certificate or token only)')
    .option('--role <role>', 'a role to give it (repeat for more)', collect)
    .option('--disabled', 'create it disabled')
    .option('--publish-prefix <prefix>', 'prepended to every topic it publishes')
    .action(
      async (
        username: string,
        o: PasswordOptions & {
          password: boolean;
          role?: string[];
          disabled?: boolean;
          publishPrefix?: string;
        },
        cmd: Command,
      ) => {
        const opts = cmd.optsWithGlobals<GlobalOptions>();
        const gh = rt.client(opts);
        const roles = await Promise.all((o.role ?? []).map(async (r) => (await resolveRole(gh, r)).id));
        const password = o.password ? await readPassword(rt, o, `Password for ${username}: `) : undefined;
        const { data } = await gh.users.create({
          body: {
            username,
            ...(password !== undefined ? { password } : {}),
            ...(roles.length > 0 ? { roles } : {}),
            ...(o.disabled === true ? { enabled: false } : {}),
            ...(o.publishPrefix !== undefined ? { mqttPublishPrefix: o.publishPrefix } : {}),
          },
        });
        rt.output(opts, data, () => `Created user ${data.username} (${data.id}).`);
      },
    );

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    users
      .command(name)
      .description(
        enabled
          ? 'let a user log in and connect again'
          : 'stop a user: its sessions end, its tokens stop working',
      )
      .argument('<user>', 'username or id')
      .action(async (ref: string, _o: unknown, cmd: Command) => {
        const opts = cmd.optsWithGlobals<GlobalOptions>();
        const gh = rt.client(opts);
        const user = await updateUser(gh, await resolveUser(gh, ref), { enabled });
        rt.output(opts, user, () => `User ${user.username} ${enabled ? 'enabled' : 'disabled'}.`);
      });
  }

  users
    .command('delete')
    .description('delete a user: its tokens stop working and its live sessions end')
    .argument('<user>', 'username or id')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (ref: string, o: { yes?: boolean }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const gh = rt.client(opts);
      const user = await resolveUser(gh, ref);
      await confirm(rt.io, `Delete user ${user.username} (${user.id})?`, o.yes);
      await gh.users.delete({ path: { id: user.id } });
      rt.output(
        opts,
        { id: user.id, username: user.username, deleted: true },
        () => `Deleted user ${user.username}.`,
      );
    });

  users
    .command('set-password')
    .description("set a user's password (your own: asks for your current one first)")
    .argument('<user>', 'username or id')
    .option(
      '--password-stdin',
      'read the new password from stdin (your own: the current one, then the new one)',
    )
    .action(async (ref: string, o: PasswordOptions, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const gh = rt.client(opts);
      const user = await resolveUser(gh, ref);
      const me = (await gh.auth.me()).data;
      if (me.id === user.id) {
        const currentPassword = await readPassword(rt, o, 'Current password: ');
        const newPassword = await readPassword(rt, o, 'New password: ');
        await gh.auth.changePassword({ body: { currentPassword, newPassword } });
      } else {
        await updateUser(gh, user, {
          password: await readPassword(rt, o, `New password for ${user.username}: `),
        });
      }
      rt.output(
        opts,
        { id: user.id, username: user.username, passwordChanged: true },
        () => `Password of ${user.username} changed.`,
      );
    });
}
