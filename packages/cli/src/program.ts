import { Command, Option } from 'commander';
import { registerAudit } from './commands/audit';
import { registerAuth } from './commands/auth';
import { registerCheck } from './commands/check';
import { registerCompletion } from './commands/completion';
import { registerPolicy } from './commands/policy';
import { registerRegistry } from './commands/registry';
import { registerRoles } from './commands/roles';
import { registerSessions } from './commands/sessions';
import { registerTokens } from './commands/tokens';
import { registerUsers } from './commands/users';
import type { Runtime } from './runtime';

export const VERSION = '0.1.0';

/** The command tree (`gatehouse completion` walks it too). */
export function buildProgram(rt: Runtime): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse identity and access for industrial IoT, from the command line')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--url <url>', 'the admin-api (default: $GATEHOUSE_URL, else the last login)'))
    .option('--json', 'print the API’s JSON answer instead of a table (for scripts)')
    .exitOverride()
    .showHelpAfterError('(gatehouse --help for usage)')
    .configureOutput({
      writeOut: (s) => rt.io.stdout.write(s),
      writeErr: (s) => rt.io.stderr.write(s),
    })
    .addHelpText(
      'after',
      [
        '',
        'Environment: GATEHOUSE_URL, GATEHOUSE_TOKEN (instead of a login, for scripts),',
        '  GATEHOUSE_CONFIG_DIR (default $XDG_CONFIG_HOME/gatehouse or ~/.config/gatehouse).',
        'Exit codes: 0 done, 1 failed (the server’s problem detail on stderr), 2 usage, 3 check denied.',
      ].join('\n'),
    );
  registerAuth(program, rt);
  registerUsers(program, rt);
  registerRoles(program, rt);
  registerCheck(program, rt);
  registerRegistry(program, rt);
  registerTokens(program, rt);
  registerSessions(program, rt);
  registerAudit(program, rt);
  registerPolicy(program, rt);
  registerCompletion(program, rt);
  return program;
}
