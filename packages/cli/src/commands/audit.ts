import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { AuditEventDto, AuditListData, GatehouseClient } from '@gatehouse/sdk';
import type { GlobalOptions, Runtime } from '../runtime';

type AuditQuery = NonNullable<AuditListData['query']>;

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a positive number');
  return n;
}

const line = (e: AuditEventDto): string =>
  [
    e.at,
    e.result.padEnd(7),
    e.actor?.username ?? e.actor?.id ?? '-',
    e.action,
    `${e.target.type}:${e.target.name ?? e.target.id ?? '-'}`,
    ...(e.topic !== undefined ? [`topic=${e.topic}`] : []),
    ...(e.count !== undefined && e.count > 1 ? [`×${e.count}`] : []),
    ...(e.sourceAddress ? [`from ${e.sourceAddress}`] : []),
  ].join('  ');

/**
 * The events after `afterSeq`, oldest first. The list is newest first with a cursor towards older
 * events, so this walks back until it meets `afterSeq` (or `limit` events when there is none yet).
 */
async function eventsAfter(
  gh: GatehouseClient,
  filter: AuditQuery,
  afterSeq: number | undefined,
  limit: number,
): Promise<AuditEventDto[]> {
  const out: AuditEventDto[] = [];
  let cursor: string | undefined;
  for (;;) {
    const { data } = await gh.audit.list({
      query: {
        ...filter,
        limit: afterSeq === undefined ? Math.min(limit, 200) : 200,
        ...(cursor ? { cursor } : {}),
      },
    });
    for (const e of data.items) {
      if (afterSeq !== undefined && e.seq <= afterSeq) return out.reverse();
      out.push(e);
      if (afterSeq === undefined && out.length >= limit) return out.reverse();
    }
    if (data.nextCursor === null) return out.reverse();
    cursor = data.nextCursor;
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

export function registerAudit(program: Command, rt: Runtime): void {
  const audit = program.command('audit').description('the audit trail');

  audit
    .command('tail')
    .description('the latest events, oldest first; --follow keeps printing new ones until Ctrl-C')
    .option('-n, --lines <n>', 'how many of the latest events (default 20)', positive)
    .option('-f, --follow', 'poll for new events until interrupted')
    .option('--interval <seconds>', 'how often --follow polls (default 2)', positive)
    .option('--action <action>', 'only this action, e.g. user.update')
    .option('--actor <user>', 'only this actor (username or id)')
    .option('--result <result>', 'success, failure or denied')
    .addHelpText('after', '\nWith --json: one event per line (JSON Lines).')
    .action(
      async (
        o: {
          lines?: number;
          follow?: boolean;
          interval?: number;
          action?: string;
          actor?: string;
          result?: string;
        },
        cmd: Command,
      ) => {
        const opts = cmd.optsWithGlobals<GlobalOptions>();
        const gh = rt.client(opts);
        const filter: AuditQuery = {
          ...(o.action !== undefined ? { action: o.action } : {}),
          ...(o.actor !== undefined ? { actor: o.actor } : {}),
          ...(o.result !== undefined ? { result: o.result as AuditQuery['result'] } : {}),
        };
        const show = (events: AuditEventDto[]) => {
          for (const e of events) rt.print(opts.json === true ? JSON.stringify(e) : line(e));
        };
        let events = await eventsAfter(gh, filter, undefined, Math.floor(o.lines ?? 20));
        show(events);
        if (o.follow !== true) return;
        let last = events.at(-1)?.seq ?? 0;
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          while (!stop.signal.aborted) {
            await sleep((o.interval ?? 2) * 1000, stop.signal);
            if (stop.signal.aborted) break;
            events = await eventsAfter(gh, filter, last, Infinity);
            show(events);
            last = events.at(-1)?.seq ?? last;
          }
        } finally {
          process.removeListener('SIGINT', onSignal);
          process.removeListener('SIGTERM', onSignal);
        }
      },
    );
}
