import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** A running embedded PostgreSQL (PGlite) reachable over the Postgres wire protocol on loopback. */
export interface EmbeddedPostgres {
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts PGlite (real Postgres compiled to WASM, in this process) and serves it on 127.0.0.1 with
 * a random port, so that TypeORM talks to it with the plain `pg` driver exactly as to a real
 * PostgreSQL: one driver, one set of migrations (ADR 0002). PGlite is single-session, so the
 * caller must use a pool of one connection.
 *
 * @param dataDir directory for the database files, or `memory://` for a throw-away database.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const { PGlite: PGliteCtor } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer: ServerCtor } = await import('@electric-sql/pglite-socket');
  let location = dataDir;
  if (dataDir !== 'memory://') {
    location = join(dataDir, 'pglite');
    mkdirSync(location, { recursive: true });
  }
  const db = await PGliteCtor.create(location);
  const server = new ServerCtor({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  const conn = server.getServerConn(); // "127.0.0.1:PORT"
  const port = Number(conn.slice(conn.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0) {
    await server.stop();
    await db.close();
    throw new Error(`embedded database did not report a port (got "${conn}")`);
  }
  return {
    host: '127.0.0.1',
    port,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
