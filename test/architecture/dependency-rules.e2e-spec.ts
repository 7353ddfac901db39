/**
 * The architecture rules of .dependency-cruiser.cjs (`npm run depcheck`) fire: each forbidden direction
 * of ../shared/CONVENTIONS.md "Layout" is tried in a scratch tree shaped like the repository, and the
 * allowed ones pass. A rule that never fires would let `npm run depcheck` pass on anything.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '../..');
const run = promisify(execFile);

/** Files of the scratch tree: path → source. Every import is relative, as the aliases resolve. */
const FILES: Record<string, string> = {
  'tsconfig.json': '{ "compilerOptions": { "module": "commonjs", "strict": true } }',
  'node_modules/typeorm/package.json': '{ "name": "typeorm", "main": "index.js" }',
  'node_modules/typeorm/index.js': 'module.exports = {};',
  'node_modules/@nestjs/typeorm/package.json': '{ "name": "@nestjs/typeorm", "main": "index.js" }',
  'node_modules/@nestjs/typeorm/index.js': 'module.exports = {};',
  'node_modules/ioredis/package.json': '{ "name": "ioredis", "main": "index.js" }',
  'node_modules/ioredis/index.js': 'module.exports = {};',
  'libs/contracts/src/index.ts': 'export const contracts = 1;',
  'libs/persistence/src/index.ts': "export * from '../../contracts/src/index';",
  'libs/identity/src/index.ts': "export * from '../../persistence/src/index';\nexport const identity = 1;",
  'libs/identity/src/inner.ts': 'export const inner = 1;',
  'libs/rbac/src/index.ts': "export * from '../../contracts/src/index';",
  'libs/client-registry/src/index.ts':
    "export * from '../../identity/src/index';\nexport * from '../../rbac/src/index';",
  'libs/testing/src/index.ts': "export * from '../../persistence/src/index';",
  'apps/admin-api/src/main.ts': "export * from '../../../libs/client-registry/src/index';",
  'apps/broker-gateway/src/main.ts':
    "export * from '../../../libs/rbac/src/index';\nexport * from '../../../libs/contracts/src/index';\nimport 'ioredis';",
  'apps/admin-api/src/main.spec.ts': "import '../../../libs/testing/src/index';",
  // ADR 0017: TypeORM in repositories, entities, module wiring, libs/persistence and tests only
  'libs/identity/src/repositories/user.repository.ts':
    "import 'typeorm';\nimport '@nestjs/typeorm';\nexport const users = 1;",
  'libs/identity/src/entities/user.entity.ts': "import 'typeorm';\nexport const entity = 1;",
  'libs/identity/src/identity.module.ts':
    "import '@nestjs/typeorm';\nimport './repositories/user.repository';",
  'libs/persistence/src/transaction.ts': "import 'typeorm';\nimport '@nestjs/typeorm';",
  'libs/identity/src/repositories/user.repository.e2e-spec.ts': "import 'typeorm';",
  'apps/admin-api/src/features/users/users.spec.ts': "import 'typeorm';\nimport '@nestjs/typeorm';",
};

/** One forbidden import per rule: [the file that imports, what it imports, the rule that must fire]. */
const FORBIDDEN: [string, string, string][] = [
  ['libs/identity/src/bad.ts', '../../client-registry/src/index', 'identity-not-to-client-registry'],
  ['libs/identity/src/bad.ts', '../../rbac/src/index', 'identity-not-to-rbac'],
  ['libs/rbac/src/bad.ts', '../../identity/src/index', 'rbac-not-to-identity'],
  ['libs/rbac/src/bad.ts', '../../persistence/src/index', 'rbac-only-contracts'],
  ['libs/persistence/src/bad.ts', '../../client-registry/src/index', 'persistence-only-contracts'],
  ['libs/contracts/src/bad.ts', '../../persistence/src/index', 'contracts-depend-on-nothing'],
  ['libs/client-registry/src/bad.ts', '../../../apps/admin-api/src/main', 'lib-not-to-app'],
  ['apps/broker-gateway/src/bad.ts', 'typeorm', 'gateway-no-database'],
  ['apps/broker-gateway/src/bad.ts', '../../../libs/identity/src/index', 'gateway-no-database'],
  ['apps/admin-api/src/bad.ts', '../../broker-gateway/src/main', 'apps-not-to-each-other'],
  ['apps/admin-api/src/bad.ts', '../../../libs/identity/src/inner', 'no-deep-import-into-identity'],
  ['libs/identity/src/bad.ts', '../../testing/src/index', 'production-not-to-testing'],
  ['libs/contracts/src/cycle-a.ts', './cycle-b', 'no-circular'],
  ['libs/identity/src/services/user.service.ts', 'typeorm', 'typeorm-only-in-repositories'],
  ['libs/identity/src/entities/index.ts', 'typeorm', 'typeorm-only-in-repositories'],
  ['libs/identity/src/identity.module.ts', 'typeorm', 'typeorm-only-in-repositories'],
  [
    'apps/admin-api/src/features/permissions/permissions.app-service.ts',
    'typeorm',
    'typeorm-only-in-repositories',
  ],
  [
    'libs/client-registry/src/registry/approval.service.ts',
    '@nestjs/typeorm',
    'nestjs-typeorm-only-in-repositories-and-modules',
  ],
  [
    'apps/admin-api/src/features/health/health.controller.ts',
    '@nestjs/typeorm',
    'nestjs-typeorm-only-in-repositories-and-modules',
  ],
];

async function write(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, source] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), source);
  }
}

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

async function violations(dir: string): Promise<Violation[]> {
  const bin = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  const config = join(ROOT, '.dependency-cruiser.cjs');
  const { stdout } = await run(
    process.execPath,
    [bin, 'apps', 'libs', '--config', config, '--output-type', 'json', '--no-progress'],
    { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
  ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' })); // exit code 1 on violations
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('architecture rules (.dependency-cruiser.cjs)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-depcruise-'));
    await write(dir, FILES);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('allows the directions of the layout (contracts ← persistence ← identity, rbac ← client-registry ← apps)', async () => {
    expect(await violations(dir)).toEqual([]);
  }, 60_000);

  it('refuses every forbidden direction, each by its own rule', async () => {
    const extra: Record<string, string> = {
      'libs/contracts/src/cycle-b.ts': "import './cycle-a';\nexport const b = 1;",
    };
    for (const [file, target] of FORBIDDEN) {
      extra[file] = `${extra[file] ?? ''}import '${target}';\n`;
    }
    await write(dir, extra);
    const found = await violations(dir);
    // each import must break its rule itself (another import of the same file breaking it proves nothing)
    const lands = (file: string, target: string, to: string): boolean =>
      to.startsWith(
        target.startsWith('.') ? posix.join(posix.dirname(file), target) : `node_modules/${target}/`,
      );
    const missing = FORBIDDEN.filter(
      ([file, target, rule]) =>
        !found.some((v) => v.from === file && v.rule.name === rule && lands(file, target, v.to)),
    ).map(([file, target, rule]) => `${file} → ${target} should break ${rule}`);
    expect(missing).toEqual([]);
  }, 60_000);
});
