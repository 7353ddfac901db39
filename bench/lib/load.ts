/** Parent side of the load generator (workers/mqtt-worker.ts): one forked process per `LoadWorker`. */
import path from 'node:path';
import { ROOT } from './common';
import { type Spawned, forkTs, request, stop } from './processes';
import type { ClientCounts, Cred, StormResult } from './workers/mqtt-worker';

export type { ClientCounts, Cred, StormResult };

const WORKER = path.join(ROOT, 'bench', 'lib', 'workers', 'mqtt-worker.ts');

export class LoadWorker {
  private constructor(readonly proc: Spawned) {}

  static async start(label: string, nodeArgs: string[] = []): Promise<LoadWorker> {
    const proc = forkTs(WORKER, [], { label, nodeArgs });
    await new Promise<void>((resolve, reject) => {
      proc.child.once('message', () => resolve());
      proc.child.once('exit', (code) =>
        reject(new Error(`${label} exited (${code}) at start: ${proc.output()}`)),
      );
    });
    return new LoadWorker(proc);
  }

  cmd<T = Record<string, unknown>>(
    msg: { type: string } & Record<string, unknown>,
    answer: string,
    timeoutMs = 120_000,
  ): Promise<T> {
    return request(this.proc.child, msg, (m): m is T => (m as { type?: string })?.type === answer, timeoutMs);
  }

  /** Waits for the next message of type `answer` without sending anything. */
  next<T = Record<string, unknown>>(answer: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.proc.child.off('message', on);
        reject(new Error(`no ${answer} within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = (m: unknown): void => {
        if ((m as { type?: string })?.type === answer) {
          clearTimeout(timer);
          this.proc.child.off('message', on);
          resolve(m as T);
        }
      };
      this.proc.child.on('message', on);
    });
  }

  async connect(
    url: string,
    clients: Cred[],
    concurrency = 50,
  ): Promise<{ count: number; failures: number; errors: string[] }> {
    const r = await this.cmd<{ count: number; failures: number; errors: string[] }>(
      { type: 'connect', url, clients, concurrency },
      'connected',
      600_000,
    );
    if (r.failures > 0)
      throw new Error(`${r.failures} of ${clients.length} clients failed to connect: ${r.errors.join('; ')}`);
    return r;
  }

  async subscribe(topic: string, qos: 0 | 1): Promise<number[]> {
    return (await this.cmd<{ granted: number[] }>({ type: 'subscribe', topic, qos }, 'subscribed')).granted;
  }

  async collect(): Promise<ClientCounts[]> {
    return (await this.cmd<{ perClient: ClientCounts[] }>({ type: 'collect' }, 'collected')).perClient;
  }

  async disconnect(): Promise<void> {
    await this.cmd({ type: 'disconnect' }, 'disconnected');
  }

  async exit(): Promise<void> {
    if (this.proc.child.connected) this.proc.child.send({ type: 'exit' });
    await stop(this.proc.child, 3_000);
  }
}
