import { readFileSync, writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { parse, stringify } from 'yaml';
import type { PolicyApplyResultDto, PolicyDocumentDto, PolicyPermissionDto } from '@gatehouse/sdk';
import { CliError } from '../errors';
import { permissionText } from '../output';
import { confirm } from '../prompt';
import type { GlobalOptions, Runtime } from '../runtime';

type Format = 'yaml' | 'json';

function parseFormat(value: string): Format {
  if (value === 'yaml' || value === 'json') return value;
  throw new InvalidArgumentError('yaml or json');
}

/** How many roles and users the result creates, changes and deletes, and how much it revokes. */
export function counts(r: PolicyApplyResultDto): {
  created: number;
  changed: number;
  deleted: number;
  revokes: number;
} {
  return {
    created: r.roles.created.length + r.users.created.length,
    changed: r.roles.changed.length + r.users.changed.length,
    deleted: r.roles.deleted.length + r.users.deleted.length,
    revokes: r.revokes.length,
  };
}

const perm = (p: PolicyPermissionDto) => permissionText(p);

/** The difference as an operator reads it: `+` created or added, `~` changed, `-` deleted or removed. */
export function diffText(r: PolicyApplyResultDto): string {
  const out: string[] = [];
  const section = (title: string, lines: string[]) => {
    if (lines.length > 0) out.push(`${title}:`, ...lines);
  };
  section('Roles', [
    ...r.roles.created.map((n) => `  + ${n}`),
    ...r.roles.changed.flatMap((c) => [
      `  ~ ${c.name}`,
      ...c.permissionsAdded.map((p) => `      + ${perm(p)}`),
      ...c.permissionsRemoved.map((p) => `      - ${perm(p)}`),
      ...c.externalGroupsAdded.map((g) => `      + group ${g}`),
      ...c.externalGroupsRemoved.map((g) => `      - group ${g}`),
      ...(c.description
        ? [
            `      description: ${JSON.stringify(c.description.before ?? null)} → ${JSON.stringify(c.description.after ?? null)}`,
          ]
        : []),
    ]),
    ...r.roles.deleted.map((n) => `  - ${n}`),
  ]);
  section('Users', [
    ...r.users.created.map((n) => `  + ${n}`),
    ...r.users.changed.flatMap((c) => [
      `  ~ ${c.username}`,
      ...c.rolesAdded.map((n) => `      + role ${n}`),
      ...c.rolesRemoved.map((n) => `      - role ${n}`),
      ...c.permissionsAdded.map((p) => `      + ${perm(p)}`),
      ...c.permissionsRemoved.map((p) => `      - ${perm(p)}`),
      ...(c.enabled ? [`      enabled: ${c.enabled.before} → ${c.enabled.after}`] : []),
    ]),
    ...r.users.deleted.map((n) => `  - ${n}`),
  ]);
  section(
    r.applied ? 'Revoked live' : 'Would revoke live',
    r.revokes.map((v) =>
      v.kind === 'session'
        ? `  ${v.clientId} (${v.username}) on ${v.gatewayId}: the session`
        : `  ${v.clientId} (${v.username}) on ${v.gatewayId}: subscription ${v.filter ?? '?'}`,
    ),
  );
  const c = counts(r);
  const [create, change, del, revoke] = r.applied
    ? ['created', 'changed', 'deleted', 'revoked']
    : ['to create', 'to change', 'to delete', 'to revoke'];
  out.push(
    `${c.created} ${create}, ${c.changed} ${change}, ${c.deleted} ${del}; ${c.revokes} live subscription(s) or session(s) ${revoke}.`,
  );
  if (r.gateways.partial)
    out.push(
      `Warning: no answer from gateway(s) ${r.gateways.unanswered.join(', ')}: the revocations may be incomplete.`,
    );
  return out.join('\n');
}

function readDocument(rt: Runtime, file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    // YAML 1.2 is a superset of JSON: one parser for both (duplicate keys are an error)
    return parse(text, { prettyErrors: false, maxAliasCount: 100 }) as unknown;
  } catch (err) {
    throw new CliError(`${file} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
}

export function registerPolicy(program: Command, rt: Runtime): void {
  program
    .command('export')
    .description('the whole policy (roles, users’ roles and permissions; no secrets) as one document')
    .option('--format <format>', 'yaml (default) or json', parseFormat)
    .option('-o, --output <file>', 'write it to a file instead of stdout')
    .action(async (o: { format?: Format; output?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const { data } = await rt.client(opts).policy.export();
      const format = o.format ?? (opts.json === true ? 'json' : 'yaml');
      const text =
        format === 'json'
          ? `${JSON.stringify(data, null, 2)}\n`
          : stringify(data, { lineWidth: 0, aliasDuplicateObjects: false });
      if (o.output !== undefined) {
        writeFileSync(o.output, text);
        rt.note(`Wrote ${o.output} (${data.roles?.length ?? 0} roles, ${data.users?.length ?? 0} users).`);
      } else rt.io.stdout.write(text);
    });

  program
    .command('apply')
    .description('apply a policy document: shows the difference, asks, applies it in one transaction')
    .requiredOption('-f, --file <file>', 'the policy document, YAML or JSON (- for stdin)')
    .option('--dry-run', 'show the difference only')
    .option('--prune', 'also delete the roles (but the built-in ones) and users the document does not name')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      '\nExample:\n  gatehouse export > policy.yaml\n  $EDITOR policy.yaml\n  gatehouse apply -f policy.yaml --dry-run\n  gatehouse apply -f policy.yaml',
    )
    .action(async (o: { file: string; dryRun?: boolean; prune?: boolean; yes?: boolean }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const document = readDocument(rt, o.file) as PolicyDocumentDto;
      const gh = rt.client(opts);
      const prune = o.prune === true;
      const plan = (await gh.policy.apply({ body: { document, dryRun: true, prune } })).data;
      const c = counts(plan);
      const unchanged = c.created + c.changed + c.deleted === 0;
      if (o.dryRun === true || unchanged) {
        return rt.output(opts, plan, () => (unchanged ? 'No changes.' : diffText(plan)));
      }
      if (opts.json !== true) rt.print(diffText(plan));
      await confirm(rt.io, 'Apply these changes?', o.yes);
      const result = (await gh.policy.apply({ body: { document, dryRun: false, prune } })).data;
      rt.output(opts, result, () => `Applied.\n${diffText(result).split('\n').at(-1)}`);
    });
}
