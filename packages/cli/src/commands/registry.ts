import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { GatehouseClient, RegistrationRequestDto } from '@gatehouse/sdk';
import { CliError } from '../errors';
import { fields, permissionText, table } from '../output';
import { confirm } from '../prompt';
import { allPages, isUuid, resolveRole } from '../resolve';
import type { GlobalOptions, Runtime } from '../runtime';
import { userDetails } from './users';

const STATES = ['pending', 'granted', 'rejected', 'expired', 'all'] as const;
type StateFilter = (typeof STATES)[number];

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function parseMinutes(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 60)
    throw new InvalidArgumentError('minutes, more than 0, at most 60');
  return n;
}

function parseState(value: string): StateFilter {
  if ((STATES as readonly string[]).includes(value)) return value as StateFilter;
  throw new InvalidArgumentError(STATES.join(', '));
}

/** A request by its id, or by its pairing id among the pending ones (what the device shows). */
async function findRequest(gh: GatehouseClient, ref: string): Promise<RegistrationRequestDto> {
  if (isUuid(ref)) return (await gh.clientRegistry.get({ path: { id: ref } })).data;
  const pending = await allPages((cursor) =>
    gh.clientRegistry.list({ query: { state: 'pending', limit: 200, ...(cursor ? { cursor } : {}) } }),
  );
  const matches = pending.items.filter((r) => r.pairingId.toLowerCase() === ref.toLowerCase());
  if (matches.length === 0) throw new CliError(`no pending request with id or pairing id "${ref}"`);
  if (matches.length > 1)
    throw new CliError(`${matches.length} pending requests have pairing id ${ref}: give the request id`);
  return matches[0];
}

function requestSummary(r: RegistrationRequestDto): string {
  return fields([
    ['Request', r.id],
    ['Pairing id', r.pairingId],
    ['Username', r.username],
    ['State', r.state],
    ['Source', r.source],
    ['Client id', r.clientId],
    ['Address', r.remoteAddress],
    [
      'Credentials',
      [r.hasPassword ? 'password' : '', r.hasCsr ? 'certificate request' : ''].filter(Boolean).join(', '),
    ],
    ['Context', r.context],
    ['Asks for roles', r.requestedRoles.join(', ')],
    ['Asks for', r.requestedPermissions.map(permissionText).join('; ')],
    ['Expires', r.expiresAt],
  ]);
}

export function registerRegistry(program: Command, rt: Runtime): void {
  const registry = program
    .command('registry')
    .description('the client registry: devices register themselves, an operator approves them');

  registry
    .command('status')
    .description('locked or unlocked, and until when')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const { data } = await rt.client(opts).clientRegistry.state();
      rt.output(opts, data, () =>
        data.state === 'unlocked' ? `unlocked until ${data.unlockedUntil}` : 'locked',
      );
    });

  registry
    .command('unlock')
    .description('accept registrations for a while')
    .option('--minutes <n>', 'how long (default 5, at most 60)', parseMinutes)
    .action(async (o: { minutes?: number }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const { data } = await rt.client(opts).clientRegistry.unlock({
        body: o.minutes !== undefined ? { durationMs: Math.round(o.minutes * 60_000) } : {},
      });
      rt.output(opts, data, () => `Registry unlocked until ${data.unlockedUntil}.`);
    });

  registry
    .command('lock')
    .description('stop accepting registrations')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const { data } = await rt.client(opts).clientRegistry.lock();
      rt.output(opts, data, () => 'Registry locked.');
    });

  registry
    .command('requests')
    .description('registration requests, with the pairing id the device shows')
    .option('--state <state>', `${STATES.join(', ')} (default pending)`, parseState)
    .action(async (o: { state?: StateFilter }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const gh = rt.client(opts);
      const state = o.state ?? 'pending';
      const page = await allPages((cursor) =>
        gh.clientRegistry.list({
          query: { limit: 200, ...(cursor ? { cursor } : {}), ...(state !== 'all' ? { state } : {}) },
        }),
      );
      rt.output(opts, page, () =>
        page.items.length === 0
          ? `No ${state === 'all' ? '' : `${state} `}requests.`
          : table(
              [
                'id',
                'pairing id',
                'username',
                'state',
                'source',
                'client id',
                'address',
                'asks for roles',
                'created',
              ],
              page.items.map((r) => [
                r.id,
                r.pairingId,
                r.username,
                r.state,
                r.source,
                r.clientId,
                r.remoteAddress,
                r.requestedRoles.join(', '),
                r.createdAt,
              ]),
            ),
      );
    });

  registry
    .command('approve')
    .description('approve a request: creates the user (compare the pairing id with the device first)')
    .argument('<id>', 'the request id, or its pairing id')
    .option('--role <role>', 'a role for the new user (repeat for more)', collect)
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (ref: string, o: { role?: string[]; yes?: boolean }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const gh = rt.client(opts);
      const request = await findRequest(gh, ref);
      const roles = await Promise.all((o.role ?? []).map(async (r) => resolveRole(gh, r)));
      if (opts.json !== true || o.yes !== true) rt.note(requestSummary(request));
      await confirm(
        rt.io,
        `Approve ${request.username} with pairing id ${request.pairingId}${roles.length ? `, roles ${roles.map((r) => r.name).join(', ')}` : ''}?`,
        o.yes,
      );
      const { data } = await gh.clientRegistry.grant({
        path: { id: request.id },
        body: roles.length > 0 ? { roles: roles.map((r) => r.id) } : {},
      });
      rt.output(opts, data, () =>
        [
          `Approved ${data.user.username} (pairing id ${data.request.pairingId}).`,
          '',
          userDetails(data.user, new Map(roles.map((r) => [r.id, r.name]))),
        ].join('\n'),
      );
    });

  registry
    .command('reject')
    .description('reject a request')
    .argument('<id>', 'the request id, or its pairing id')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const gh = rt.client(opts);
      const request = await findRequest(gh, ref);
      const { data } = await gh.clientRegistry.reject({ path: { id: request.id } });
      rt.output(opts, data, () => `Rejected ${request.username} (pairing id ${request.pairingId}).`);
    });
}
