/**
 * The framework's ceiling for scenario 5: a bare Nest 12 app (platform-express, the same as admin-api)
 * with one unauthenticated `GET /api/ping` answering a fixed JSON object shaped like a user response.
 *   node bench/run-ts.js bench/admin-api/bare-nest.ts <port>
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

const USER_LIKE = {
  id: '7f0c3c1e-2f0a-4d55-9f5e-3b1f6a0f2c11',
  username: 'user-12345',
  identityProvider: 'local',
  grantTypes: [{ method: 'password', isRequired: false }],
  roles: ['00000000-0000-4000-8000-000000000002'],
  permissions: [
    {
      id: '0b6c3f7e-5d0e-4d3c-8a1e-2f4b6c8d0e1f',
      context: 'mqtt',
      resource: 'devices/user-12345/#',
      operation: 'readWrite',
    },
    {
      id: '1c7d4a8f-6e1f-4e4d-9b2f-3a5c7d9e1f20',
      context: 'mqtt',
      resource: 'plant/p1/line/+/machine/m1/status',
      operation: 'read',
    },
  ],
  enabled: true,
  mqttPublishPrefix: null,
  enforceMFAEnrollment: false,
  certificates: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  lastLoginAt: null,
  version: 1,
};

@Controller()
class PingController {
  @Get('ping')
  ping(): typeof USER_LIKE {
    return USER_LIKE;
  }
}

@Module({ controllers: [PingController] })
class BareModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(BareModule, { logger: ['error'] });
  app.setGlobalPrefix('api');
  await app.listen(Number(process.argv[2] ?? 0), '127.0.0.1');
  console.log(`bare nest listening on ${await app.getUrl()}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
