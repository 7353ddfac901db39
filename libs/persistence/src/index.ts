export * from './database-options';
export * from './embedded-postgres';
export * from './naming.strategy';
export * from './persistence.module';
export * from './transaction';
export { migrations } from './migrations';
export * from './batched-lookup';
export * from './database-health';
export { databaseOptionsFromEnv, CliUsageError, withCliDataSource } from './cli';
