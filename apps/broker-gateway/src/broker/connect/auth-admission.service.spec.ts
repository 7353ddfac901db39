import 'reflect-metadata';
import { loadGatewayConfig } from '../../config/gateway.config';
import { AuthAbandonedError, AuthAdmission, AuthQueueFullError } from './auth-admission.service';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('AuthAdmission (ADR 0100: bounded authentications in flight)', () => {
  const make = (concurrency: number, queueMax: number): AuthAdmission =>
    new AuthAdmission(
      loadGatewayConfig({
        MQTT_AUTH_CONCURRENCY: String(concurrency),
        MQTT_AUTH_QUEUE_MAX: String(queueMax),
      }),
    );

  it('sends at most MQTT_AUTH_CONCURRENCY at once; the rest wait and go in FIFO order', async () => {
    const admission = make(2, 10);
    const gates = Array.from({ length: 5 }, () => deferred<number>());
    const started: number[] = [];
    const results = gates.map((g, i) =>
      admission.run(
        () => {
          started.push(i);
          return g.promise;
        },
        () => false,
      ),
    );
    results[0].catch(() => undefined); // asserted below
    expect(started).toEqual([0, 1]);
    expect([admission.active, admission.waiting]).toEqual([2, 3]);
    gates[1].resolve(1);
    await flush();
    expect(started).toEqual([0, 1, 2]);
    gates[0].reject(new Error('timeout'));
    await flush();
    expect(started).toEqual([0, 1, 2, 3]);
    gates[2].resolve(2);
    gates[3].resolve(3);
    await flush();
    gates[4].resolve(4);
    await expect(results[0]).rejects.toThrow('timeout'); // a failure frees its slot too
    await expect(Promise.all(results.slice(1))).resolves.toEqual([1, 2, 3, 4]);
    expect([admission.active, admission.waiting]).toEqual([0, 0]);
  });

  it('refuses at once beyond MQTT_AUTH_QUEUE_MAX (CONNACK 3), without running the task', async () => {
    const admission = make(1, 2);
    const gate = deferred<string>();
    const tasks = jest.fn(() => gate.promise);
    const first = admission.run(tasks, () => false);
    const queued = [admission.run(tasks, () => false), admission.run(tasks, () => false)];
    await expect(admission.run(tasks, () => false)).rejects.toBeInstanceOf(AuthQueueFullError);
    expect(tasks).toHaveBeenCalledTimes(1);
    gate.resolve('ok');
    await expect(Promise.all([first, ...queued])).resolves.toEqual(['ok', 'ok', 'ok']);
  });

  it('drops a waiter whose client is gone at its turn: admin-api is never asked', async () => {
    const admission = make(1, 10);
    const gate = deferred<string>();
    const first = admission.run(
      () => gate.promise,
      () => false,
    );
    let gone = false;
    const abandonedTask = jest.fn(() => Promise.resolve('never'));
    const abandoned = admission.run(abandonedTask, () => gone);
    const next = admission.run(
      () => Promise.resolve('next'),
      () => false,
    );
    gone = true;
    gate.resolve('first');
    await expect(abandoned).rejects.toBeInstanceOf(AuthAbandonedError);
    await expect(Promise.all([first, next])).resolves.toEqual(['first', 'next']);
    expect(abandonedTask).not.toHaveBeenCalled();
  });

  it('a task that throws synchronously frees its slot', async () => {
    const admission = make(1, 10);
    await expect(
      admission.run(
        () => {
          throw new Error('boom');
        },
        () => false,
      ),
    ).rejects.toThrow('boom');
    await expect(
      admission.run(
        () => Promise.resolve(1),
        () => false,
      ),
    ).resolves.toBe(1);
    expect(admission.active).toBe(0);
  });

  it('keeps FIFO order over many waiters (queue compaction)', async () => {
    const admission = make(1, 10_000);
    const gate = deferred<number>();
    const order: number[] = [];
    const all = [
      admission.run(
        () => gate.promise,
        () => false,
      ),
    ];
    for (let i = 1; i <= 3000; i++)
      all.push(
        admission.run(
          () => {
            order.push(i);
            return Promise.resolve(i);
          },
          () => false,
        ),
      );
    gate.resolve(0);
    await Promise.all(all);
    expect(order).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
  });
});
