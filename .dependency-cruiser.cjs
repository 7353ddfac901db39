/**
 * Architecture rules, checked in CI by `npm run depcheck`. The rules come from the project's code
 * conventions, ../shared/CONVENTIONS.md ("Layout"; beside the repository, as ../shared/SPEC.md is, see
 * README.md), and SPEC 3 and 5 (../shared/SPEC.md):
 * contracts ← persistence ← identity, rbac ← client-registry ← apps, and contracts ← persistence ← audit ← apps
 * (ADR 0016: audit builds on persistence only, and no lib but the apps records events); identity and rbac never
 * import each other, nor client-registry (which builds on both); rbac needs nothing but contracts;
 * libs never import apps; libs/testing is for tests only; the gateway never touches the database;
 * imports between libs go through `@gatehouse/<lib>` (its index.ts), never into another lib's src/;
 * SQL lives in the repositories (`*.repository.ts`) of the lib that owns the tables, so only they,
 * the entities and libs/persistence import TypeORM (ADR 0017).
 */
const LIBS = ['contracts', 'persistence', 'identity', 'rbac', 'client-registry', 'audit', 'testing'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'no circular imports (but in the code @hey-api/openapi-ts generates, which is not ours to shape)',
      from: { pathNot: '^packages/sdk/src/generated/' },
      to: { circular: true },
    },
    {
      name: 'sdk-only-in-tests',
      severity: 'error',
      comment: 'the generated SDK is for clients and tests: apps and libs never import it',
      from: { path: '^(apps|libs)/' },
      to: { path: '^packages/sdk/' },
    },
    {
      name: 'lib-not-to-app',
      severity: 'error',
      comment: 'libs never import apps',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'identity-not-to-rbac',
      severity: 'error',
      from: { path: '^libs/identity/' },
      to: { path: '^libs/rbac/' },
    },
    {
      name: 'rbac-not-to-identity',
      severity: 'error',
      from: { path: '^libs/rbac/' },
      to: { path: '^libs/identity/' },
    },
    {
      name: 'identity-not-to-client-registry',
      severity: 'error',
      comment: 'client-registry builds on identity (it creates users), never the other way round',
      from: { path: '^libs/identity/' },
      to: { path: '^libs/client-registry/' },
    },
    {
      name: 'rbac-only-contracts',
      severity: 'error',
      comment: 'rbac depends on no other lib but contracts',
      from: { path: '^libs/rbac/' },
      to: { path: '^libs/(persistence|client-registry|testing)/' },
    },
    {
      name: 'contracts-depend-on-nothing',
      severity: 'error',
      from: { path: '^libs/contracts/' },
      to: { path: '^(libs/(?!contracts/)|apps/)' },
    },
    {
      name: 'audit-only-persistence',
      severity: 'error',
      comment: 'audit builds on persistence and contracts only (ADR 0016)',
      from: { path: '^libs/audit/' },
      to: { path: '^libs/(identity|rbac|client-registry)/' },
    },
    {
      name: 'libs-not-to-audit',
      severity: 'error',
      comment: 'events are recorded by the apps (admin-api), never from inside another lib (ADR 0016)',
      from: { path: '^libs/(?!audit/)' },
      to: { path: '^libs/audit/' },
    },
    {
      name: 'persistence-only-contracts',
      severity: 'error',
      from: { path: '^libs/persistence/' },
      to: { path: '^libs/(identity|rbac|client-registry)/' },
    },
    {
      name: 'gateway-no-database',
      severity: 'error',
      comment:
        'the gateway holds no database credentials (SPEC 3); admin-api is the only app with database access (SPEC 5)',
      from: { path: '^apps/broker-gateway/' },
      to: {
        // `(^|/)node_modules`: a linked node_modules resolves outside the repository (../x/node_modules/…)
        path: '^libs/(persistence|identity|client-registry|audit)/|(^|/)node_modules/(typeorm|@nestjs/typeorm|pg|@electric-sql)/',
      },
    },
    {
      name: 'apps-not-to-each-other',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'production-not-to-testing',
      severity: 'error',
      comment: 'libs/testing is for tests only',
      from: { path: '^(apps|libs)/', pathNot: '(\\.spec\\.ts|\\.e2e-spec\\.ts)$|^libs/testing/' },
      to: { path: '^libs/testing/' },
    },
    {
      name: 'typeorm-only-in-repositories',
      severity: 'error',
      comment:
        'SQL and query builders live in *.repository.ts of the lib that owns the tables (ADR 0017): besides them only entities (the tables), libs/persistence, libs/testing and tests import typeorm; services take a Transaction from @gatehouse/persistence',
      from: {
        path: '^(apps|libs)/',
        pathNot: '\\.(repository|entity)\\.ts$|\\.(spec|e2e-spec)\\.ts$|^libs/(persistence|testing)/',
      },
      to: { path: '(^|/)node_modules/typeorm/' },
    },
    {
      name: 'nestjs-typeorm-only-in-repositories-and-modules',
      severity: 'error',
      comment:
        'InjectDataSource / InjectRepository belong to repositories (ADR 0017); a module may register its entities (TypeOrmModule.forFeature)',
      from: {
        path: '^(apps|libs)/',
        pathNot: '\\.(repository|module)\\.ts$|\\.(spec|e2e-spec)\\.ts$|^libs/(persistence|testing)/',
      },
      to: { path: '(^|/)node_modules/@nestjs/typeorm/' },
    },
    ...LIBS.map((lib) => ({
      name: `no-deep-import-into-${lib}`,
      severity: 'error',
      comment: `other code imports ${lib} through @gatehouse/${lib} (its index.ts)`,
      from: { pathNot: `^libs/${lib}/` },
      to: { path: `^libs/${lib}/src/`, pathNot: `^libs/${lib}/src/index\\.ts$` },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // node_modules is not excluded (doNotFollow keeps it from being cruised): excluding it would also drop
    // the imports of typeorm, pg... that the rules above look for, whenever it is a real folder
    exclude: { path: '^(dist|bench/results)/' },
    moduleSystems: ['cjs', 'es6'],
  },
};
