import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { DatabaseHealth } from './database-health';
import type { DatabaseOptions } from './database-options';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';
import { migrations } from './migrations';
import { Transactions } from './transaction';
import { SnakeNamingStrategy } from './naming.strategy';

export interface PersistenceModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: unknown[];
  useFactory: (...args: never[]) => DatabaseOptions | Promise<DatabaseOptions>;
}

/** Builds TypeORM options for a real PostgreSQL or a started embedded database. */
export function buildDataSourceOptions(
  options: DatabaseOptions,
  embedded?: EmbeddedPostgres,
): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    synchronize: false,
    migrations,
    migrationsRun: true,
    migrationsTransactionMode: 'each' as const,
    namingStrategy: new SnakeNamingStrategy(),
    logging: options.logging ?? false,
  };
  if (embedded) {
    return {
      ...common,
      host: embedded.host,
      port: embedded.port,
      username: 'postgres',
      password: 'postgres',
      database: 'postgres',
      // PGlite is a single session: one connection, so transactions can never interleave. The idle
      // connection is closed after 10 s (pg's default, made explicit) like on a real server: the
      // embedded server resets the session whenever a connection ends, so a reconnect is a clean
      // session (ADR 0002), and the reconnect path is exercised, not hidden behind a keep-alive.
      extra: { max: 1, idleTimeoutMillis: 10_000 },
    };
  }
  return { ...common, url: options.databaseUrl, extra: { max: 10 } };
}

/**
 * The database connection for the app that owns data (admin-api). Entities are registered by the
 * libs that own them (`TypeOrmModule.forFeature`) and loaded automatically. Global: provides
 * {@link Transactions} and {@link DatabaseHealth} to every module.
 */
@Module({})
export class PersistenceModule {
  static forRootAsync(opts: PersistenceModuleAsyncOptions): DynamicModule {
    const logger = new Logger('Persistence');
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          imports: opts.imports,
          inject: opts.inject as never[],
          useFactory: async (...args: unknown[]) => {
            const options = await opts.useFactory(...(args as never[]));
            let embedded: EmbeddedPostgres | undefined;
            if (!options.databaseUrl) {
              embedded = await startEmbeddedPostgres(options.dataDir);
              logger.log(
                options.dataDir === 'memory://'
                  ? 'embedded database (PGlite) in memory'
                  : `embedded database (PGlite) in ${options.dataDir}`,
              );
            }
            return {
              ...buildDataSourceOptions(options, embedded),
              autoLoadEntities: true,
              embedded,
            } as never;
          },
          dataSourceFactory: async (dsOptions) => {
            const { DataSource } = await import('typeorm');
            const { embedded, ...rest } = dsOptions as DataSourceOptions & { embedded?: EmbeddedPostgres };
            const ds = new DataSource(rest);
            if (embedded) {
              const destroy = ds.destroy.bind(ds);
              ds.destroy = async () => {
                await destroy();
                await embedded.stop();
              };
            }
            return ds.initialize();
          },
        }),
      ],
      // global: the libs' repositories and services find the data source's helpers without importing it
      global: true,
      providers: [DatabaseHealth, Transactions],
      exports: [DatabaseHealth, Transactions],
    };
  }
}
