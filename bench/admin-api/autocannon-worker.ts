/**
 * Load generator for scenario 5: autocannon in its own process, driven over IPC.
 *   {type: 'run', url, method, paths: string[], bodies?: string[], token?, connections, durationS}
 *   → {type: 'result', requestsPerSecond, latencyMs: {p50, p90, p99, max}, total, non2xx, errors, timeouts}
 * `paths` (and `bodies`) are cycled through, one per request.
 */
import autocannon from 'autocannon';

interface RunCommand {
  type: 'run' | 'exit';
  url: string;
  method: string;
  paths: string[];
  bodies?: string[];
  token?: string;
  connections: number;
  durationS: number;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats: Record<string, { count: number }>;
}

process.on('message', (msg: RunCommand) => {
  if (msg.type === 'exit') process.exit(0);
  if (msg.type !== 'run') return;
  let i = 0;
  const paths: string[] = msg.paths;
  const bodies: string[] | undefined = msg.bodies;
  const instance = autocannon(
    {
      url: msg.url,
      connections: msg.connections,
      duration: msg.durationS,
      headers: {
        ...(msg.token ? { authorization: `Bearer ${msg.token}` } : {}),
        ...(bodies ? { 'content-type': 'application/json' } : {}),
      },
      requests: [
        {
          method: msg.method,
          setupRequest: (req: Record<string, unknown>) => {
            const k = i++;
            return {
              ...req,
              path: paths[k % paths.length],
              ...(bodies ? { body: bodies[k % bodies.length] } : {}),
            };
          },
        },
      ],
    },
    (err: Error | null, r: AutocannonResult) => {
      if (err) {
        process.send?.({ type: 'error', message: err.message });
        return;
      }
      process.send?.({
        type: 'result',
        requestsPerSecond: r.requests.average,
        latencyMs: {
          p50: r.latency.p50,
          p90: r.latency.p90,
          p99: r.latency.p99,
          max: r.latency.max,
          mean: r.latency.average,
        },
        total: r.requests.total,
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        statusCodes: r.statusCodeStats,
      });
    },
  );
  void instance;
});
process.send?.({ type: 'worker-ready' });
