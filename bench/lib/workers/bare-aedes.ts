/**
 * Baseline (a): bare aedes with no hooks, as an aedes user would start it, on 127.0.0.1:<port>.
 *   node bench/run-ts.js bench/lib/workers/bare-aedes.ts <port> [backlog]
 * `backlog`: the listen backlog (Node's default, 511, when absent).
 */
import net from 'node:net';

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? 0);
  const backlog = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  server.listen({ port, host: '127.0.0.1', backlog }, () => {
    console.log(`bare aedes listening on mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  });
  process.on('SIGTERM', () => {
    server.close();
    broker.close(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
