import { isIP, connect as netConnect, Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  Client,
  ConfidentialityRequiredError,
  escapeFilter,
  InvalidCredentialsError,
  NoSuchObjectError,
  SizeLimitExceededError,
  type Entry,
} from 'ldapts';
import { IdentityError } from '../identity.error';
import { IDENTITY_OPTIONS, type IdentityOptions, type LdapOptions } from '../identity.options';

/** A directory user whose password the directory accepted (SPEC 2.1a). */
export interface DirectoryUser {
  /** The entry's DN as the directory spells it: the user's binding (ADR 0024). */
  dn: string;
  /** The value of LDAP_USERNAME_ATTRIBUTE (the Gatehouse username on first sight). */
  username: string | null;
  /** Its groups, lower case: each group's cn and DN (from `memberOf` and a member search). */
  groups: string[];
}

/** One value escaped for a filter (RFC 4515): `*`, `(`, `)`, `\\` and NUL cannot become syntax. */
const escapeValue = (v: string): string => escapeFilter`${v}`;

const GROUP_FILTER = '(|(member={{dn}})(uniqueMember={{dn}}))';
/** An entry found twice for one login name is ambiguous: refused, never guessed. */
const SEARCH_SIZE_LIMIT = 2;
const MAX_GROUPS = 1000;

const first = (v: Entry[string] | undefined): string | null => {
  const x = Array.isArray(v) ? v[0] : v;
  return x === undefined ? null : Buffer.isBuffer(x) ? x.toString('utf8') : String(x);
};
const all = (v: Entry[string] | undefined): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) =>
    Buffer.isBuffer(x) ? x.toString('utf8') : String(x),
  );

/** The sockets under one connection (TCP, and TLS over it) and whether one of them closed. */
interface Wire {
  sockets: Socket[];
  closed: boolean;
  /** Rejects when a socket closes: an operation in flight then fails at once. */
  onClose: Promise<never>;
}

/** A socket's `event` (connected), or its error or close. */
function settled(socket: Socket, event: 'connect' | 'secureConnect'): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once(event, () => resolve());
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('the directory closed the connection')));
  });
}

/**
 * What ldapts gets when it tries to reconnect a closed connection: a socket that fails at once. A
 * silent reconnect would skip StartTLS (a password in clear) and the pool's accounting.
 */
function refusedSocket(): Socket {
  const socket = new Socket();
  process.nextTick(() => socket.destroy(new Error('the directory closed the connection (not reconnected)')));
  return socket;
}

/** Node's codes of a certificate chain that does not end at a trusted CA (OpenSSL X509_V_ERR_* names). */
const UNTRUSTED_CODES =
  /^(UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT)/;
/** Other refusals of a certificate (expired, not yet valid, wrong purpose, …). */
const CERTIFICATE_CODES =
  /^(CERT_|UNABLE_TO_|INVALID_CA|PATH_LENGTH_EXCEEDED|INVALID_PURPOSE|HOSTNAME_MISMATCH)/;

/** A connect failure for the log, naming the TLS cause for the operator (never a secret: no bind yet). */
function describeConnectError(err: unknown, phase: string, host: string): string {
  const e = err as (Error & { code?: unknown }) | undefined;
  const message = e?.message ?? String(err);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the directory's certificate does not name ${host} (${code}: ${message})`;
  if (code && UNTRUSTED_CODES.test(code))
    return `the directory's certificate was refused (${code}: ${message}); LDAP_TLS_CA_FILE must hold the CA that signed it (else the system CAs are used)`;
  if (code && CERTIFICATE_CODES.test(code))
    return `the directory's certificate was refused (${code}: ${message})`;
  if (code?.startsWith('ERR_SSL_') || code?.startsWith('ERR_TLS_')) return `TLS failed (${code}: ${message})`;
  if (phase === 'StartTLS' && !/timed out/.test(message))
    return `the directory refused StartTLS or its TLS handshake failed (${message}); does it offer StartTLS (LDAP_STARTTLS)?`;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** The cn of a DN's first RDN when it is `cn=…` (`cn=operators,ou=groups,…` → `operators`). */
function cnOf(dn: string): string | null {
  const m = /^\s*cn\s*=\s*((?:[^,\\]|\\.)+)/i.exec(dn);
  return m ? m[1].replace(/\\(.)/g, '$1').trim() : null;
}

/**
 * The LDAP directory (ldapts; SPEC 2.1a, ADR 0024): bind as the service account, find the user with
 * LDAP_USER_FILTER, bind as the user, read its groups (`memberOf`, and `member`/`uniqueMember` under
 * LDAP_GROUP_BASE). A small pool of connections, each operation bounded by LDAP_TIMEOUT_MS; LDAPS for an
 * `ldaps://` URL, StartTLS when LDAP_STARTTLS says so. Any failure but a refused password is
 * `IDENTITY.DIRECTORY_UNAVAILABLE` (never a crash, never a secret in the message).
 */
@Injectable()
export class LdapDirectoryRepository implements OnModuleDestroy {
  private readonly logger = new Logger('LdapDirectory');
  private readonly idle: Client[] = [];
  private active = 0;
  private readonly waiters: ((c: Client | null) => void)[] = [];
  private readonly wires = new WeakMap<Client, Wire>();
  private closed = false;

  constructor(@Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions) {}

  get enabled(): boolean {
    return this.options.ldap !== undefined;
  }

  get directoryId(): string {
    return this.config().directoryId;
  }

  /** The user LDAP_USER_FILTER finds for `username`, if `password` binds as it; null otherwise. */
  async authenticate(username: string, password: string): Promise<DirectoryUser | null> {
    // An empty password is an unauthenticated bind that directories accept (RFC 4513 5.1.2): never.
    if (password === '') return null;
    const cfg = this.config();
    return this.withClient(async (client) => {
      await this.serviceBind(client);
      const filter = cfg.userFilter.split('{{username}}').join(escapeValue(username));
      let entries: Entry[];
      try {
        ({ searchEntries: entries } = await client.search(cfg.userBase, {
          scope: 'sub',
          filter,
          attributes: [cfg.usernameAttribute, 'memberOf'],
          sizeLimit: SEARCH_SIZE_LIMIT,
        }));
      } catch (err) {
        if (err instanceof SizeLimitExceededError) return null; // more than one: ambiguous, refused
        throw err;
      }
      if (entries.length !== 1) return null;
      return this.bindAndRead(client, entries[0], password);
    });
  }

  /** The user at `dn` (a known federated user), if `password` binds as it; null when gone or refused. */
  async authenticateDn(dn: string, password: string): Promise<DirectoryUser | null> {
    if (password === '') return null;
    return this.withClient(async (client) => {
      const entry = await this.entryAt(client, dn);
      return entry === null ? null : this.bindAndRead(client, entry, password);
    });
  }

  /**
   * The entry at `dn` and its groups, read as the service account without the user's password (the
   * refresh of a session, ADR 0023); null when the directory no longer has it.
   */
  async lookupDn(dn: string): Promise<DirectoryUser | null> {
    return this.withClient(async (client) => {
      const entry = await this.entryAt(client, dn);
      return entry === null ? null : this.readGroups(client, entry);
    });
  }

  /** The entry at `dn`, read as the service account; null when the directory no longer has it. */
  private async entryAt(client: Client, dn: string): Promise<Entry | null> {
    await this.serviceBind(client);
    let entries: Entry[];
    try {
      ({ searchEntries: entries } = await client.search(dn, {
        scope: 'base',
        filter: '(objectClass=*)',
        attributes: [this.config().usernameAttribute, 'memberOf'],
      }));
    } catch (err) {
      if (err instanceof NoSuchObjectError) return null; // removed from the directory
      throw err;
    }
    return entries.length === 1 ? entries[0] : null;
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(null);
    await Promise.all(this.idle.splice(0).map((c) => this.discard(c)));
  }

  private config(): LdapOptions {
    const cfg = this.options.ldap;
    if (!cfg) throw new IdentityError('IDENTITY.DIRECTORY_UNAVAILABLE', 'no LDAP directory is configured');
    return cfg;
  }

  private async serviceBind(client: Client): Promise<void> {
    const cfg = this.config();
    try {
      await client.bind(cfg.bindDn, cfg.bindPassword);
    } catch (err) {
      if (err instanceof InvalidCredentialsError)
        throw new IdentityError(
          'IDENTITY.DIRECTORY_UNAVAILABLE',
          'the directory refused the service account (LDAP_BIND_DN / LDAP_BIND_PASSWORD)',
        );
      throw err;
    }
  }

  private async bindAndRead(client: Client, entry: Entry, password: string): Promise<DirectoryUser | null> {
    try {
      await client.bind(entry.dn, password);
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return null;
      throw err;
    }
    // groups are read as the service account: a user may not be allowed to search them
    await this.serviceBind(client);
    return this.readGroups(client, entry);
  }

  /** The entry's name and groups, read as the service account (already bound). */
  private async readGroups(client: Client, entry: Entry): Promise<DirectoryUser> {
    const cfg = this.config();
    const groupDns = new Set(all(entry.memberOf));
    if (cfg.groupBase) {
      const { searchEntries } = await client.search(cfg.groupBase, {
        scope: 'sub',
        filter: GROUP_FILTER.split('{{dn}}').join(escapeValue(entry.dn)),
        attributes: ['cn'],
        sizeLimit: MAX_GROUPS,
      });
      for (const g of searchEntries) groupDns.add(g.dn);
    }
    const groups = new Set<string>();
    for (const dn of groupDns) {
      groups.add(dn.toLowerCase());
      const cn = cnOf(dn);
      if (cn) groups.add(cn.toLowerCase());
    }
    return { dn: entry.dn, username: first(entry[cfg.usernameAttribute]), groups: [...groups].sort() };
  }

  /**
   * Runs `op` on a pooled connection. A connection that failed is dropped (the next one connects
   * afresh); every failure but a refused password is the directory being unavailable.
   */
  private async withClient<T>(op: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.acquire();
    let healthy = true;
    try {
      const onClose = this.wires.get(client)?.onClose;
      return await (onClose ? Promise.race([op(client), onClose]) : op(client));
    } catch (err) {
      healthy = false;
      if (err instanceof IdentityError) throw err;
      const hint =
        err instanceof ConfidentialityRequiredError
          ? ' (the directory wants TLS: an ldaps:// LDAP_URL, or LDAP_STARTTLS=true)'
          : '';
      this.logger.warn(`LDAP directory error: ${(err as Error)?.message ?? String(err)}${hint}`);
      throw new IdentityError(
        'IDENTITY.DIRECTORY_UNAVAILABLE',
        'the LDAP directory is unavailable; try again later',
      );
    } finally {
      this.release(client, healthy);
    }
  }

  private async acquire(): Promise<Client> {
    const cfg = this.config();
    if (this.closed) throw new IdentityError('IDENTITY.DIRECTORY_UNAVAILABLE', 'shutting down');
    // a connection the directory closed is not reused: ldapts would reconnect it without StartTLS
    let idle = this.idle.pop();
    while (idle && !this.alive(idle)) {
      void this.discard(idle);
      idle = this.idle.pop();
    }
    if (idle) {
      this.active++;
      return idle;
    }
    if (this.active < cfg.poolSize) {
      this.active++;
      try {
        return await this.connect(cfg);
      } catch (err) {
        this.active--;
        this.wakeOne();
        this.logger.warn(`LDAP connect failed: ${(err as Error)?.message ?? String(err)}`);
        throw new IdentityError(
          'IDENTITY.DIRECTORY_UNAVAILABLE',
          'the LDAP directory is unavailable; try again later',
        );
      }
    }
    // every connection busy: wait for one, at most one timeout
    const client = await new Promise<Client | null>((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(null);
      }, cfg.timeoutMs);
      const waiter = (c: Client | null) => {
        clearTimeout(timer);
        resolve(c);
      };
      this.waiters.push(waiter);
    });
    if (!client)
      throw new IdentityError(
        'IDENTITY.DIRECTORY_UNAVAILABLE',
        'every LDAP connection is busy; try again later',
      );
    return client;
  }

  private release(client: Client, healthy: boolean): void {
    if (healthy && !this.closed && this.alive(client)) {
      const waiter = this.waiters.shift();
      if (waiter) return waiter(client); // handed over: still active
      this.active--;
      this.idle.push(client);
      return;
    }
    this.active--;
    void this.discard(client);
    this.wakeOne();
  }

  /** A waiter gets a fresh connection when a slot frees up without a connection to hand over. */
  private wakeOne(): void {
    const waiter = this.waiters.shift();
    if (!waiter) return;
    const cfg = this.config();
    this.active++;
    this.connect(cfg).then(waiter, () => {
      this.active--;
      waiter(null);
    });
  }

  /**
   * A new connection, made here and not by ldapts (which connects lazily and reconnects silently):
   * TCP, then TLS for `ldaps://`, then StartTLS when configured, all within one LDAP_TIMEOUT_MS. The
   * sockets are tracked, so that a connection the directory closed is never reused (ldapts does not
   * see the close of a StartTLS connection) and a failed one leaves nothing open.
   */
  private async connect(cfg: LdapOptions): Promise<Client> {
    const url = new URL(cfg.url);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const ldaps = url.protocol === 'ldaps:';
    const port = url.port ? Number(url.port) : ldaps ? 636 : 389;
    const tlsOptions: ConnectionOptions = {
      ...(cfg.tlsCa ? { ca: cfg.tlsCa } : {}),
      host, // the certificate must name it (DNS or IP subjectAltName)
      // SNI carries a DNS name only (RFC 6066 3): none for an IP address
      ...(isIP(host) ? {} : { servername: host }),
      minVersion: 'TLSv1.2',
    };
    let closedNow: (err: Error) => void = () => undefined;
    const wire: Wire = {
      sockets: [],
      closed: false,
      onClose: new Promise<never>((_, reject) => (closedNow = reject)),
    };
    wire.onClose.catch(() => undefined); // only raced by operations
    const track = <S extends Socket>(socket: S): S => {
      wire.sockets.push(socket);
      // without a listener an error would crash the process; a close anywhere ends the whole wire
      socket.on('error', () => undefined);
      socket.once('close', () => {
        wire.closed = true;
        for (const s of wire.sockets) s.destroy();
        closedNow(new Error('the directory closed the connection'));
      });
      return socket;
    };
    let phase = 'TCP connect';
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within LDAP_TIMEOUT_MS (${cfg.timeoutMs} ms), timed out`)),
        cfg.timeoutMs,
      );
    });
    deadline.catch(() => undefined); // raced at each step; the timer is cleared at the end
    try {
      const tcp = track(netConnect({ host, port }));
      await Promise.race([settled(tcp, 'connect'), deadline]);
      let ready: Socket = tcp;
      if (ldaps) {
        phase = 'TLS';
        ready = track(tlsConnect({ ...tlsOptions, socket: tcp }));
        await Promise.race([settled(ready, 'secureConnect'), deadline]);
      }
      let handedOut = false;
      // ldapts asks for its socket here; it gets the one made above, once: never a silent reconnect
      const give = (): Socket => {
        if (handedOut || wire.closed) return refusedSocket();
        handedOut = true;
        return ready;
      };
      const client = new Client({
        url: cfg.url,
        timeout: cfg.timeoutMs,
        connectTimeout: cfg.timeoutMs,
        strictDN: false,
        ...(ldaps ? { tlsOptions } : {}),
        createConnection: give,
        createSecureConnection: ((options: ConnectionOptions | number) =>
          // the StartTLS upgrade passes its options (with our TCP socket); a reconnect passes a port
          typeof options === 'object' && options.socket === tcp
            ? track(tlsConnect(options))
            : give()) as unknown as typeof tlsConnect,
      });
      if (cfg.startTls) {
        phase = 'StartTLS';
        const upgrade = client.startTLS({ ...tlsOptions });
        upgrade.catch(() => undefined); // settled by the race below, or abandoned at the deadline
        await Promise.race([upgrade, deadline]);
      }
      this.wires.set(client, wire);
      return client;
    } catch (err) {
      for (const socket of wire.sockets) socket.destroy();
      throw new Error(`${phase}: ${describeConnectError(err, phase, host)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether a pooled connection can be used again: open, and no socket under it closed. */
  private alive(client: Client): boolean {
    const wire = this.wires.get(client);
    return client.isConnected && wire !== undefined && !wire.closed;
  }

  /** Ends a connection: an unbind when it is still open (bounded by the timeout), then its sockets. */
  private async discard(client: Client): Promise<void> {
    const wire = this.wires.get(client);
    if (this.alive(client)) await client.unbind().catch(() => undefined);
    for (const socket of wire?.sockets ?? []) socket.destroy();
  }
}
