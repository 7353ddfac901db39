import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { GatehouseClient } from '@gatehouse/sdk';
import { CliError } from '../errors';
import { table } from '../output';
import { resolveUser } from '../resolve';
import type { GlobalOptions, Runtime } from '../runtime';
import { loginWithMfa, type PasswordOptions, readPassword } from './auth';

function parseHours(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number of hours');
  return n;
}

/** The user the command is about: `--user`, else the caller. */
async function subject(
  gh: GatehouseClient,
  user: string | undefined,
): Promise<{ id: string; username: string }> {
  if (user !== undefined) return resolveUser(gh, user);
  return (await gh.auth.me()).data;
}

export function registerTokens(program: Command, rt: Runtime): void {
  const tokens = program.command('tokens').description('long-lived API tokens (labelled logins)');

  tokens
    .command('list')
    .description('your tokens (or --user another user’s)')
    .option('--user <user>', 'username or id')
    .action(async (o: { user?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const gh = rt.client(opts);
      const user = await subject(gh, o.user);
      const { data } = await gh.users.tokens({ path: { id: user.id } });
      rt.output(opts, data, () =>
        data.items.length === 0
          ? `No tokens for ${user.username}.`
          : table(
              ['id', 'label', 'created', 'expires', 'last used', 'revoked'],
              data.items.map((t) => [t.id, t.label, t.createdAt, t.expiresAt, t.lastUsedAt, t.revokedAt]),
            ),
      );
    });

  tokens
    .command('create')
    .description('issue a long-lived token for you (asks for your password again); shown once')
    .requiredOption('--label <label>', 'what the token is for (listed, revocable)')
    .option(
      '--hours <n>',
      'its lifetime (default 365 days; at most the server’s TOKEN_MAX_HOURS)',
      parseHours,
    )
    .option('--password-stdin', 'read your password from the first line of stdin')
    .option('--otp <code>', 'your MFA code (asked on the terminal when needed)')
    .action(async (o: PasswordOptions & { label: string; hours?: number; otp?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const gh = rt.client(opts);
      // re-authentication: a long-lived token is a new login with a label (POST /api/login), not an
      // extension of the session token (ADR 0009)
      const me = (await gh.auth.me()).data;
      if (me.identityProvider !== 'local')
        rt.note(
          `gatehouse: ${me.username} is a ${me.identityProvider} user: the directory password is asked`,
        );
      const password = await readPassword(rt, o, `Password for ${me.username}: `);
      const res = await loginWithMfa(
        rt,
        rt.anonymousClient(opts),
        {
          username: me.username,
          password,
          label: o.label,
          ...(o.hours !== undefined ? { expireTimeInHours: o.hours } : {}),
        },
        o.otp,
      );
      rt.output(opts, res, () =>
        [
          `Token ${res.tokenId} (${o.label}), valid until ${res.expiresAt}. It is shown this once:`,
          res.token,
        ].join('\n'),
      );
    });

  tokens
    .command('revoke')
    .description('revoke a token (it gets 401 at once)')
    .argument('<token-id>')
    .option('--user <user>', 'whose token (default: yours)')
    .action(async (tokenId: string, o: { user?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const gh = rt.client(opts);
      const user = await subject(gh, o.user);
      if (tokenId === rt.credentials()?.tokenId && o.user === undefined)
        throw new CliError('that is the token of this session: use gatehouse logout');
      await gh.users.revokeToken({ path: { id: user.id, tokenId } });
      rt.output(opts, { id: tokenId, userId: user.id, revoked: true }, () => `Revoked token ${tokenId}.`);
    });
}
