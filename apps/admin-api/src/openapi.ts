import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemDetailsDto } from './http/problem-details.dto';
import { ACCESS_EXTENSION } from './http/route-access.decorator';

/**
 * Where the document says the API is (ADR 0025): any deployment's origin, by default a local admin-api on
 * the default HTTP_PORT. Clients pass their deployment's base URL (the SDK requires it).
 */
export const OPENAPI_SERVER = {
  url: '{scheme}://{host}',
  description: 'an admin-api deployment (default: a local one on the default HTTP_PORT)',
  variables: {
    scheme: { default: 'http', enum: ['http', 'https'] },
    host: { default: 'localhost:3000', description: 'host and port of the admin-api' },
  },
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

/** The OpenAPI document, generated from the controllers and DTOs (committed as openapi.json). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Gatehouse admin API')
    .setDescription(
      'Users, roles and permissions over MQTT topics and HTTP endpoints. Errors are RFC 9457 problem details ' +
        '(`application/problem+json`, schema ProblemDetails) with a stable `code`; each operation lists the codes it ' +
        'can answer. Any route may also answer 413 (body over the limit), 415 (a body that is not JSON), 431 ' +
        '(headers over 16 KiB) and 500, as problem details.',
    )
    .setVersion('0.1.0')
    .setLicense('UNLICENSED', '')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addSecurityRequirements('bearer')
    .addServer(OPENAPI_SERVER.url, OPENAPI_SERVER.description, OPENAPI_SERVER.variables);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
    extraModels: [ProblemDetailsDto],
  });
  // `@Public()` routes need no token: `security: []` overrides the document's bearer requirement, from
  // the same policy decorator that the guard reads (x-gatehouse-access).
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op && (op as unknown as Record<string, unknown>)[ACCESS_EXTENSION] === 'public') op.security = [];
    }
  }
  if (document.info.license) document.info.license = { name: document.info.license.name };
  return document;
}
