/** Where the database lives: a real PostgreSQL (`databaseUrl`) or an embedded PGlite under `dataDir`. */
export interface DatabaseOptions {
  /** `postgres://…`; when absent, an embedded PGlite database is used. */
  databaseUrl?: string;
  /** Directory of the embedded database, or `memory://` for a throw-away one (tests). */
  dataDir: string;
  /** Log SQL (debugging). */
  logging?: boolean;
}
