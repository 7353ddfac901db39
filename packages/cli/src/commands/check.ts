import type { Command } from 'commander';
import type { AuthorizationCheckDto, GrantedByDto } from '@gatehouse/sdk';
import { table } from '../output';
import { parseContext, parseOperation, parseQos } from '../permission-args';
import { isUuid } from '../resolve';
import type { GlobalOptions, Runtime } from '../runtime';

/** Exit code of `check` when the answer is "denied" (1 is an error, 2 a usage error). */
export const DENIED_EXIT_CODE = 3;

const rules = (list: GrantedByDto[]): string =>
  table(
    ['effect', 'source', 'context', 'operation', 'resource'],
    list.map((g) => [
      g.permission.effect,
      g.via === 'user' ? 'direct' : `role ${g.roleName ?? g.via}`,
      g.permission.context,
      g.permission.operation,
      g.permission.resource,
    ]),
  );

export function registerCheck(program: Command, rt: Runtime): void {
  program
    .command('check')
    .description('would this user be allowed? Shows the deciding rule (exit 0 allowed, 3 denied)')
    .argument('<user>', 'username or id')
    .argument('<context>', 'mqtt or http', parseContext)
    .argument('<resource>', 'a topic, a topic filter (mqtt read) or an HTTP path')
    .argument('<operation>', 'read, write or readWrite', parseOperation)
    .option('--client-id <id>', 'the MQTT client id (substituted for ${clientId})')
    .option('--qos <qos>', 'mqtt write: the QoS of the PUBLISH', parseQos)
    .option('--retain', 'mqtt write: a retained PUBLISH')
    .addHelpText(
      'after',
      "\nExample: gatehouse check alice mqtt 'sensors/line1/temp' write --client-id plc-1",
    )
    .action(
      async (
        user: string,
        context: AuthorizationCheckDto['context'],
        resource: string,
        operation: AuthorizationCheckDto['operation'],
        o: { clientId?: string; qos?: 0 | 1 | 2; retain?: boolean },
        cmd: Command,
      ) => {
        const opts = cmd.optsWithGlobals<GlobalOptions>();
        const { data } = await rt.client(opts).permissions.check({
          body: {
            ...(isUuid(user) ? { userId: user } : { username: user }),
            context,
            resource,
            operation,
            ...(o.clientId !== undefined ? { clientId: o.clientId } : {}),
            ...(o.qos !== undefined ? { qos: o.qos } : {}),
            ...(o.retain === true ? { retain: true } : {}),
          },
        });
        rt.output(opts, data, () => {
          const what = `${user} ${context} ${operation} ${resource}${o.clientId !== undefined ? ` (client id ${o.clientId})` : ''}`;
          if (data.allowed) return [`allowed: ${what}`, '', 'Allowed by:', rules(data.grantedBy)].join('\n');
          if (data.deniedBy.length > 0)
            return [
              `denied: ${what}`,
              '',
              'Denied by (a deny beats every allow):',
              rules(data.deniedBy),
            ].join('\n');
          return `denied: ${what}\n\nNo permission matches (deny by default).`;
        });
        if (!data.allowed) rt.exitCode = DENIED_EXIT_CODE;
      },
    );
}
