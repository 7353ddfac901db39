import 'reflect-metadata';
import { ListenError } from '@gatehouse/contracts';
import { createBrokerGateway } from './bootstrap';
import { GatewayConfigError } from './config/gateway.config';

async function main(): Promise<void> {
  const gateway = await createBrokerGateway(process.env);
  for (const url of gateway.urls) console.log(`broker-gateway listening on ${url}`);
  console.log(
    `broker-gateway metrics and health on ${gateway.httpUrl} (/metrics, /health/live, /health/ready)`,
  );
}

main().catch((err: unknown) => {
  if (err instanceof GatewayConfigError)
    console.error(`broker-gateway: invalid configuration: ${err.message}`);
  else if (err instanceof ListenError) console.error(`broker-gateway: cannot start: ${err.message}`);
  else console.error('broker-gateway failed to start:', err);
  process.exit(1);
});
