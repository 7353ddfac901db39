import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  Client,
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
    const cfg = this.config();
    return this.withClient(async (client) => {
      await this.serviceBind(client);
      let entries: Entry[];
      try {
        ({ searchEntries: entries } = await client.search(dn, {
          scope: 'base',
          filter: '(objectClass=*)',
          attributes: [cfg.usernameAttribute, 'memberOf'],
        }));
      } catch (err) {
        if (err instanceof NoSuchObjectError) return null; // removed from the directory
        throw err;
      }
      if (entries.length !== 1) return null;
      return this.bindAndRead(client, entries[0], password);
    });
  }

  /**
   * The entry at `dn` and its groups, read as the service account without the user's password (the
   * refresh of a session, ADR 0023); null when the directory no longer has it.
   */
  async lookupDn(dn: string): Promise<DirectoryUser | null> {
    const cfg = this.config();
    return this.withClient(async (client) => {
      await this.serviceBind(client);
      let entries: Entry[];
      try {
        ({ searchEntries: entries } = await client.search(dn, {
          scope: 'base',
          filter: '(objectClass=*)',
          attributes: [cfg.usernameAttribute, 'memberOf'],
        }));
      } catch (err) {
        if (err instanceof NoSuchObjectError) return null; // removed from the directory
        throw err;
      }
      if (entries.length !== 1) return null;
      return this.readGroups(client, entries[0]);
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(null);
    await Promise.all(this.idle.splice(0).map((c) => c.unbind().catch(() => undefined)));
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
      return await op(client);
    } catch (err) {
      healthy = false;
      if (err instanceof IdentityError) throw err;
      this.logger.warn(`LDAP directory error: ${(err as Error)?.message ?? String(err)}`);
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
    const idle = this.idle.pop();
    if (idle?.isConnected) {
      this.active++;
      return idle;
    }
    // a connection the directory closed is not reused: ldapts would reconnect it without StartTLS
    if (idle) void idle.unbind().catch(() => undefined);
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
    if (healthy && !this.closed && client.isConnected) {
      const waiter = this.waiters.shift();
      if (waiter) return waiter(client); // handed over: still active
      this.active--;
      this.idle.push(client);
      return;
    }
    this.active--;
    void client.unbind().catch(() => undefined);
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

  private async connect(cfg: LdapOptions): Promise<Client> {
    const tlsOptions = {
      ...(cfg.tlsCa ? { ca: cfg.tlsCa } : {}),
      servername: new URL(cfg.url).hostname,
      minVersion: 'TLSv1.2' as const,
    };
    const client = new Client({
      url: cfg.url,
      timeout: cfg.timeoutMs,
      connectTimeout: cfg.timeoutMs,
      strictDN: false,
      ...(cfg.url.startsWith('ldaps:') ? { tlsOptions } : {}),
    });
    if (cfg.startTls) await client.startTLS(tlsOptions);
    return client;
  }
}
