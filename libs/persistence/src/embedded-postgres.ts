import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';

/** A running embedded PostgreSQL (PGlite) reachable over the Postgres wire protocol on loopback. */
export interface EmbeddedPostgres {
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** What the session queue uses of PGlite. */
interface PGliteSession {
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
  execProtocolRaw(message: Uint8Array): Promise<Uint8Array>;
  execProtocolRawStream(
    message: Uint8Array,
    options: { onRawData: (data: Uint8Array) => void },
  ): Promise<void>;
  isInTransaction(): boolean;
  exec(sql: string): Promise<unknown>;
}

/** The wire-protocol `Sync` message: ends any extended-protocol exchange a client left half-done. */
const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);

/**
 * PGlite is one backend session. A real server gives every connection a new session; here each
 * connection reuses the single one, so when a client goes away its session state must go with it:
 * the open transaction (rolled back), named prepared statements (which `readQuery` creates and a
 * reconnecting pool would create again: `prepared statement "gatehouse_read_1" already exists`),
 * settings, temporary tables, advisory locks, LISTENs. `DISCARD ALL` is what a pooler does for that.
 *
 * The queue runs the protocol messages of the (single) attached connection one at a time, and the
 * reset after them, in order. It stands in for pglite-socket's own query queue in its
 * `PGLiteSocketHandler` (whose server would let a reconnect find the old session).
 */
class SessionQueue {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: PGliteSession,
    private readonly onResetError: (err: unknown) => void,
  ) {}

  private then<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }

  enqueue(_handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return this.then(async () => {
      let bytes = 0;
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(message, {
          onRawData: (data) => {
            bytes += data.length;
            onData(data);
          },
        }),
      );
      return bytes;
    });
  }

  /** Nothing to drop: the messages already queued run (their answers go nowhere), then the reset. */
  clearQueueForHandler(): void {}

  /** The handler's hook on detach; the reset is run by the server once the connection has ended. */
  async clearTransactionIfNeeded(): Promise<void> {}

  reset(): Promise<void> {
    return this.then(async () => {
      try {
        await this.db.runExclusive(() => this.db.execProtocolRaw(SYNC));
        if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
        await this.db.exec('DISCARD ALL');
      } catch (err) {
        this.onResetError(err);
      }
    });
  }

  /** Resolves when everything queued so far has run. */
  idle(): Promise<void> {
    return this.then(async () => undefined);
  }
}

/**
 * Test runs only: `GATEHOUSE_PGLITE_TEMPLATE` names a tarball of a freshly initialised, empty cluster
 * (`PGlite.dumpDataDir`, made once per run by scripts/jest-global-setup.js), and in-memory databases
 * start from a copy of it instead of running initdb in WASM each time (about 5 s of CPU per database).
 * The copy is the same empty cluster initdb makes; migrations still run on it as on any new database.
 * Directories on disk (what operators use) always initialise themselves.
 */
function startingPoint(dataDir: string): { loadDataDir: Blob } | undefined {
  const template = process.env.GATEHOUSE_PGLITE_TEMPLATE;
  if (dataDir !== 'memory://' || !template) return undefined;
  return { loadDataDir: new Blob([readFileSync(template)]) };
}

/**
 * Starts PGlite (real Postgres compiled to WASM, in this process) and serves it on 127.0.0.1 with
 * a random port, so that TypeORM talks to it with the plain `pg` driver exactly as to a real
 * PostgreSQL: one driver, one set of migrations (ADR 0002). PGlite is single-session, so the caller
 * must use a pool of one connection; connections are served one after the other (a new one waits
 * until the previous one has closed and its session has been reset), and each starts on a clean
 * session as on a real server.
 *
 * @param dataDir directory for the database files, or `memory://` for a throw-away database.
 * @param onError told about a failed session reset or socket error (never thrown).
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  onError: (err: unknown) => void = () => undefined,
): Promise<EmbeddedPostgres> {
  const { PGlite: PGliteCtor } = await import('@electric-sql/pglite');
  const { PGLiteSocketHandler } = await import('@electric-sql/pglite-socket');
  type HandlerOptions = ConstructorParameters<typeof PGLiteSocketHandler>[0];
  let location = dataDir;
  if (dataDir !== 'memory://') {
    location = join(dataDir, 'pglite');
    mkdirSync(location, { recursive: true });
  }
  const db = await PGliteCtor.create(location, startingPoint(dataDir));
  const queue = new SessionQueue(db, onError);
  const sockets = new Set<Socket>();
  /** Settles when the connection served last has closed and the session has been reset. */
  let previous: Promise<void> = Promise.resolve();
  let stopping = false;

  const serve = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('error', onError);
    const turn = previous.then(
      () =>
        new Promise<void>((done) => {
          if (stopping || socket.destroyed) {
            socket.destroy();
            done();
            return;
          }
          const handler = new PGLiteSocketHandler({
            queryQueue: queue as unknown as HandlerOptions['queryQueue'],
            closeOnDetach: true,
          });
          // The handler stops taking messages from the socket before it reports the end; what it
          // queued runs first, then the reset, then the next connection is served.
          let ended = false;
          const finished = () => {
            if (ended) return;
            ended = true;
            void queue.reset().then(done);
          };
          handler.addEventListener('close', finished);
          handler.addEventListener('error', finished);
          handler.attach(socket).catch((err: unknown) => {
            onError(err);
            socket.destroy();
            done();
          });
        }),
    );
    previous = turn.finally(() => sockets.delete(socket));
  };

  const server = createServer(serve);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    async stop() {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await previous;
      await queue.idle();
      await db.close();
    },
  };
}
