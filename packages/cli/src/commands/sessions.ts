import type { Command } from 'commander';
import type { GatewayCoverageDto } from '@gatehouse/sdk';
import { table } from '../output';
import { allPages, resolveUser } from '../resolve';
import type { GlobalOptions, Runtime } from '../runtime';

const coverage = (g: GatewayCoverageDto): string | undefined =>
  g.partial
    ? `gatehouse: no answer from gateway(s) ${g.unanswered.join(', ')}: the list may be incomplete`
    : undefined;

export function registerSessions(program: Command, rt: Runtime): void {
  const sessions = program.command('sessions').description('live MQTT sessions on every gateway');

  sessions
    .command('list')
    .description('the live sessions, with their subscriptions')
    .option('--user <user>', 'only this user’s (username or id)')
    .option('--client-id <id>', 'only this client id')
    .action(async (o: { user?: string; clientId?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const gh = rt.client(opts);
      const userId = o.user !== undefined ? (await resolveUser(gh, o.user)).id : undefined;
      let gateways: GatewayCoverageDto | undefined;
      const page = await allPages(async (cursor) => {
        const res = await gh.sessions.list({
          query: {
            limit: 200,
            ...(cursor ? { cursor } : {}),
            ...(userId !== undefined ? { userId } : {}),
            ...(o.clientId !== undefined ? { clientId: o.clientId } : {}),
          },
        });
        gateways = res.data.gateways;
        return res;
      });
      const result = { ...page, gateways: gateways! };
      const warning = coverage(result.gateways);
      if (warning) rt.note(warning);
      rt.output(opts, result, () =>
        page.items.length === 0
          ? 'No live sessions.'
          : table(
              ['client id', 'username', 'gateway', 'listener', 'address', 'subscriptions', 'since'],
              page.items.map((s) => [
                s.clientId,
                s.username,
                s.gatewayId,
                s.listener,
                s.remoteAddress,
                s.subscriptions.map((x) => `${x.filter} (qos ${x.qos})`).join(', '),
                s.connectedAt,
              ]),
            ),
      );
    });

  sessions
    .command('kill')
    .description('disconnect every session of a client id, on every gateway')
    .argument('<client-id>')
    .action(async (clientId: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const gh = rt.client(opts);
      const { data } = await gh.sessions.disconnect({ path: { clientId } });
      const warning = coverage(data.gateways);
      if (warning) rt.note(warning);
      rt.output(opts, data, () =>
        data.disconnectedOn.length > 0
          ? `Disconnected ${clientId} on ${data.disconnectedOn.join(', ')}.`
          : `No live session of ${clientId}.`,
      );
    });
}
