import type { Command } from 'commander';
import {
  createGatehouseClient,
  GatehouseApiError,
  type GatehouseClient,
  type LoginResponseDto,
} from '@gatehouse/sdk';
import { credentialsPath, removeCredentials, writeCredentials } from '../config';
import { CliError } from '../errors';
import { fields, permissionText, table } from '../output';
import { isInteractive, promptHidden, promptLine } from '../prompt';
import type { GlobalOptions, Runtime } from '../runtime';

export interface PasswordOptions {
  passwordStdin?: boolean;
}

/** One line of stdin with `--password-stdin`, else a prompt without echo on the terminal. */
export async function readPassword(rt: Runtime, opts: PasswordOptions, question: string): Promise<string> {
  const password =
    opts.passwordStdin === true ? await rt.stdinLines.next('password') : await promptHidden(rt.io, question);
  if (password === '') throw new CliError('empty password');
  return password;
}

export interface LoginBody {
  username: string;
  password: string;
  label?: string;
  expireTimeInHours?: number;
}

/**
 * POST /api/login, and again with the code when the server answers AUTH.MFA_REQUIRED (`--otp`, else
 * a prompt on the terminal).
 */
export async function loginWithMfa(
  rt: Runtime,
  gh: GatehouseClient,
  body: LoginBody,
  otp: string | undefined,
): Promise<LoginResponseDto> {
  try {
    return (await gh.auth.login({ body: { ...body, ...(otp !== undefined ? { otp } : {}) } })).data;
  } catch (err) {
    if (!(err instanceof GatehouseApiError) || err.code !== 'AUTH.MFA_REQUIRED' || otp !== undefined)
      throw err;
    if (!isInteractive(rt.io))
      throw new CliError(`${err.detail} (${err.code}, HTTP ${err.status}): give the code with --otp`);
    const code = await promptHidden(rt.io, 'MFA code: ');
    return (await gh.auth.login({ body: { ...body, otp: code.trim() } })).data;
  }
}

interface LoginOptions extends GlobalOptions, PasswordOptions {
  username?: string;
  otp?: string;
  printToken?: boolean;
}

export function registerAuth(program: Command, rt: Runtime): void {
  program
    .command('login')
    .description('log in and store the session token (mode 0600) under the config directory')
    .option('--username <name>', 'the user (asked on the terminal when not given)')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .option('--otp <code>', 'the MFA code (asked on the terminal when the server wants one)')
    .option('--print-token', 'also print the token on stdout (for scripts)')
    .addHelpText(
      'after',
      '\nThe server is --url, else $GATEHOUSE_URL, else the one of the last login.\n' +
        'Example: echo "$PASSWORD" | gatehouse login --url https://gatehouse:3000 --username admin --password-stdin',
    )
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<LoginOptions>();
      const gh = rt.anonymousClient(opts);
      const url = rt.url!;
      const username = opts.username ?? (await promptLine(rt.io, 'Username: ')).trim();
      if (username === '') throw new CliError('no username');
      const password = await readPassword(rt, opts, `Password for ${username}: `);
      const res = await loginWithMfa(rt, gh, { username, password }, opts.otp);
      const file = writeCredentials(rt.env, {
        url,
        token: res.token,
        expiresAt: res.expiresAt,
        username,
        tokenId: res.tokenId,
      });
      const { token: _token, ...shown } = res;
      const message = [
        `Logged in to ${url} as ${username} (the session ends ${res.expiresAt}).`,
        `Credentials: ${file}`,
        ...(res.mfaEnrollmentRequired === true
          ? ['MFA enrolment is required before anything else: see POST /api/me/mfa.']
          : []),
      ].join('\n');
      if (opts.printToken === true) {
        // stdout carries the token alone (TOKEN=$(gatehouse login --print-token ...))
        rt.print(res.token);
        rt.note(message);
      } else rt.output(opts, { url, username, ...shown }, () => message);
    });

  program
    .command('logout')
    .description('revoke the session token on the server and remove the stored credentials')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const stored = rt.credentials();
      if (!stored) {
        rt.note(`gatehouse: not logged in (${credentialsPath(rt.env)} does not exist)`);
        return;
      }
      let revoked = true;
      try {
        const url = rt.serverUrl({ url: stored.url });
        await createGatehouseClient({ baseUrl: url, token: stored.token }).auth.logout();
      } catch (err) {
        // an expired or revoked token, a server gone: the local credentials go all the same
        revoked = false;
        rt.note(
          `gatehouse: the server did not revoke the token (${err instanceof Error ? err.message : String(err)})`,
        );
      }
      removeCredentials(rt.env);
      rt.output(
        opts,
        { url: stored.url, username: stored.username, revoked },
        () => `Logged out of ${stored.url}${revoked ? '' : ' (locally)'}.`,
      );
    });

  program
    .command('whoami')
    .description('the user of the current token, its roles and effective permissions')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const { data } = await rt.client(opts).auth.me();
      rt.output(opts, data, () => {
        const roleNames = new Map(
          data.effectivePermissions.filter((e) => e.roleName !== undefined).map((e) => [e.via, e.roleName!]),
        );
        const lines = [
          fields([
            ['Server', rt.url],
            ['Username', data.username],
            ['Id', data.id],
            ['Provider', data.identityProvider],
            ['Roles', data.roles.map((r) => roleNames.get(r) ?? r).join(', ')],
            ['Enabled', data.enabled],
            ['Session ends', rt.env.GATEHOUSE_TOKEN ? '(GATEHOUSE_TOKEN)' : rt.credentials()?.expiresAt],
          ]),
        ];
        if (data.effectivePermissions.length > 0) {
          lines.push(
            '',
            table(
              ['permission', 'via'],
              data.effectivePermissions.map((e) => [
                permissionText(e.permission),
                e.via === 'user' ? 'direct' : `role ${e.roleName ?? e.via}`,
              ]),
            ),
          );
        }
        return lines.join('\n');
      });
    });
}
