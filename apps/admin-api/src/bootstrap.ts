import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { type INestApplication, type LoggerService, RequestMethod } from '@nestjs/common';
import { ListenError, createAppLogger, parseTransportUrl } from '@gatehouse/contracts';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { AdminBootstrapService } from '@gatehouse/identity';
import { AdminApiModule } from './admin-api.module';
import { loadAdminApiConfig } from './config/admin-api.config';
import { AdminMetrics } from './features/metrics/admin-metrics.service';
import { installFallbackResponses } from './http/fallback-responses';
import { jsonBodyParserOptions } from './http/json-limits';
import { PolicyBootstrap } from './features/policy/policy-bootstrap.service';
import { json, type NextFunction, type Request, type Response, text } from 'express';
import { requestContext } from './http/request-context';
import { createValidationPipe } from './http/validation.pipe';
import { buildOpenApiDocument } from './openapi';
import { connectAdminTransport } from './transport/connect-admin-transport';

export interface AdminApiHandle {
  app: INestApplication;
  /** Where to reach the HTTP API (a loopback address when bound to every interface). */
  httpUrl: string;
  /** What the HTTP listener is bound to, e.g. `http://0.0.0.0:3000` (the start-up line). */
  boundHttpUrl: string;
  transportUrl: string;
  /** The initial admin password when this start generated one (printed once). */
  generatedAdminPassword?: string;
  /**
   * `DATA_DIR/initial-admin-password` while the generated initial admin password has not been changed
   * (named on every start, ADR 0010).
   */
  initialAdminPasswordFile?: string;
  close(): Promise<void>;
}

export interface AdminApiStartOptions {
  logger?: LoggerService | false | ('log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal')[];
  /** Runs before the routes are mounted (tests install their response checks here). */
  beforeListen?: (app: INestApplication) => void;
}

/** Creates, configures and starts admin-api (HTTP and transport). Used by main.ts and the tests. */
export async function createAdminApi(
  env: Record<string, string | undefined> = process.env,
  opts: AdminApiStartOptions = {},
): Promise<AdminApiHandle> {
  const config = loadAdminApiConfig(env);
  const app = await NestFactory.create<NestExpressApplication>(AdminApiModule.forRoot(config), {
    logger: opts.logger ?? createAppLogger('admin-api', config.logLevel),
    bodyParser: false,
    abortOnError: false,
  });
  app.setGlobalPrefix('api', {
    exclude: [
      { path: 'health/{*path}', method: RequestMethod.ALL },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  // first of all: the request id of every log line, and the duration histogram (SPEC 6)
  app.use(requestContext(app.get(AdminMetrics)));
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // A policy document may be large (50,000 users: ~10 MB): POST /api/policy/apply alone takes up to
  // POLICY_MAX_BYTES, as JSON (same depth and number checks) or YAML, and only with a bearer token, so
  // that an anonymous caller cannot make the server buffer that much (ADR 0028).
  const policyParsers = [
    json(jsonBodyParserOptions(String(config.policy.maxBytes))),
    text({ type: ['application/yaml', 'application/x-yaml', 'text/yaml'], limit: config.policy.maxBytes }),
  ];
  app.use('/api/policy/apply', (req: Request, res: Response, next: NextFunction) => {
    if (!/^bearer\s/i.test(req.headers.authorization ?? '')) return next();
    policyParsers[0](req, res, (err?: unknown) => (err ? next(err) : policyParsers[1](req, res, next)));
  });
  // The one JSON parser of every other body: 1 MiB, nesting depth and number limits (issue 9, defect 7).
  app.useBodyParser('json', jsonBodyParserOptions('1mb'));
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/openapi.json' });
  opts.beforeListen?.(app);
  // a start that fails late (a port taken) releases the database and the transport before it
  // reports, so that the next start finds them free
  let transport: { url: string };
  try {
    transport = await connectAdminTransport(app, config.transportUrl);
  } catch (err) {
    await app.close().catch(() => undefined);
    const endpoint = parseTransportUrl(config.transportUrl);
    throw endpoint.kind === 'tcp'
      ? ListenError.from(err, 'TRANSPORT_URL', endpoint.port, endpoint.host)
      : err;
  }
  await app.init();
  installFallbackResponses(app);
  // GATEHOUSE_BOOTSTRAP_FILE, once the initial admin exists (ADR 0028); a failure stops the start
  try {
    await app.get(PolicyBootstrap).run();
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  try {
    await app.listen(config.httpPort, config.httpHost);
  } catch (err) {
    await app.close().catch(() => undefined);
    throw ListenError.from(err, 'HTTP_PORT', config.httpPort, config.httpHost, 'HTTP_HOST');
  }
  const address = app.getHttpServer().address() as AddressInfo;
  const host = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost;
  const bound = address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    app,
    httpUrl: `http://${host}:${address.port}`,
    boundHttpUrl: `http://${bound}:${address.port}`,
    transportUrl: transport.url,
    generatedAdminPassword: app.get(AdminBootstrapService).generatedPassword,
    initialAdminPasswordFile: app.get(AdminBootstrapService).initialPasswordFile,
    close: () => app.close(),
  };
}
