import { Inject, Injectable, Logger } from '@nestjs/common';
import { USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH, USERNAME_PATTERN } from '@gatehouse/contracts';
import { isPgError, PgErrorCodes, Transactions } from '@gatehouse/persistence';
import { IdentityError } from '../identity.error';
import { IDENTITY_OPTIONS, type IdentityOptions } from '../identity.options';
import { type DirectoryUser, LdapDirectoryRepository } from '../repositories/ldap-directory.repository';
import { UserRepository, type UserWithPasswordHash } from '../repositories/user.repository';
import { PrincipalService } from './principal.service';

/** The outcome of a directory password check. */
export type LdapVerification =
  | { kind: 'ok'; user: UserWithPasswordHash }
  /** Wrong password, or no such directory user; `exists`: the name is known here or to the directory. */
  | { kind: 'refused'; exists: boolean }
  /** The directory accepted the password, but its name belongs to another Gatehouse user (ADR 0024). */
  | { kind: 'name-clash'; username: string };

const PROVIDER = 'ldap';
const SUFFIX_ATTEMPTS = 5;

const validUsername = (name: string | null): name is string =>
  name !== null &&
  name.length >= USERNAME_MIN_LENGTH &&
  name.length <= USERNAME_MAX_LENGTH &&
  USERNAME_PATTERN.test(name);

/**
 * Log-in against the LDAP directory (SPEC 2.1a, ADR 0024). A federated user is found by its binding
 * (directory, DN), never by a username that happens to match; on first sight it is created with the
 * directory's name, unless a Gatehouse user holds that name (then refused or given a distinct name,
 * LDAP_USERNAME_CLASH). Its groups are stored at each login; when they changed, its principal is
 * re-sent to the gateways (the group-derived roles apply live, like any role change).
 */
@Injectable()
export class LdapLoginService {
  private readonly logger = new Logger('LdapLogin');

  constructor(
    private readonly directory: LdapDirectoryRepository,
    private readonly users: UserRepository,
    private readonly transactions: Transactions,
    private readonly principals: PrincipalService,
    @Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions,
  ) {}

  get enabled(): boolean {
    return this.directory.enabled;
  }

  /**
   * The directory check of `username` / `password`. `known` is the Gatehouse user named exactly
   * `username`, if any: a federated one is checked at its bound DN; a local one only answers whether
   * the directory has a user of that name (a clash). Throws `IDENTITY.DIRECTORY_UNAVAILABLE`.
   */
  async verify(
    username: string,
    password: string,
    known: UserWithPasswordHash | null,
  ): Promise<LdapVerification> {
    if (known && known.identityProvider === PROVIDER) {
      if (known.externalIssuer !== this.directory.directoryId || !known.externalSubject)
        return { kind: 'refused', exists: true }; // bound to another directory
      const found = await this.directory.authenticateDn(known.externalSubject, password);
      if (!found) return { kind: 'refused', exists: true };
      return { kind: 'ok', user: await this.sync(known, found) };
    }
    if (known && known.identityProvider !== 'local') return { kind: 'refused', exists: true };
    const found = await this.directory.authenticate(username, password);
    if (!found) return { kind: 'refused', exists: known !== null };
    const bound = await this.users.findByExternalSubject(PROVIDER, this.directory.directoryId, found.dn);
    if (bound) return { kind: 'ok', user: await this.sync(bound, found) };
    return this.provision(username, found);
  }

  /**
   * The refresh of a directory user's session (ADR 0023): its entry is read again at its bound DN as the
   * service account, and its groups stored (sent to the gateways when changed). Gone from the directory:
   * IDENTITY.PROVIDER_REFUSED. Throws IDENTITY.DIRECTORY_UNAVAILABLE.
   */
  async refresh(user: UserWithPasswordHash): Promise<UserWithPasswordHash> {
    if (user.externalIssuer !== this.directory.directoryId || !user.externalSubject)
      throw new IdentityError(
        'IDENTITY.PROVIDER_REFUSED',
        'this user is bound to another directory than LDAP_DIRECTORY_ID',
      );
    const found = await this.directory.lookupDn(user.externalSubject);
    if (!found) throw new IdentityError('IDENTITY.PROVIDER_REFUSED', 'the directory no longer has this user');
    return this.sync(user, found);
  }

  private async sync(user: UserWithPasswordHash, found: DirectoryUser): Promise<UserWithPasswordHash> {
    const changed = await this.users.setExternalGroups(user.id, found.groups);
    if (changed) await this.principals.notify([user.id], 'permissions');
    return { ...user, externalGroups: found.groups };
  }

  /** First sight of a directory user: created with the directory's name, or refused / renamed on a clash. */
  private async provision(loginName: string, found: DirectoryUser): Promise<LdapVerification> {
    const base = validUsername(found.username) ? found.username : loginName;
    if (!validUsername(base)) return { kind: 'refused', exists: true };
    const candidates = [base];
    if (this.ldap().usernameClash === 'suffix') {
      const id = this.directory.directoryId;
      for (let i = 1; i <= SUFFIX_ATTEMPTS; i++) candidates.push(`${base}.${id}${i === 1 ? '' : i}`);
    }
    for (const username of candidates.filter(validUsername)) {
      if ((await this.users.findSpellingIgnoringCase(username)) !== null) {
        // a simultaneous first login of the same DN may have created it a moment ago: that is no clash
        const bound = await this.users.findByExternalSubject(PROVIDER, this.directory.directoryId, found.dn);
        if (bound) return { kind: 'ok', user: await this.sync(bound, found) };
        continue;
      }
      try {
        const id = await this.transactions.run((tx) =>
          this.users.insertFederated(
            {
              username,
              identityProvider: PROVIDER,
              externalIssuer: this.directory.directoryId,
              externalSubject: found.dn,
              externalGroups: found.groups,
            },
            tx,
          ),
        );
        if (username !== base)
          this.logger.warn(
            `directory user ${JSON.stringify(found.dn)} is named ${JSON.stringify(base)}, which a Gatehouse user holds: created as ${JSON.stringify(username)} (LDAP_USERNAME_CLASH=suffix)`,
          );
        const user = await this.users.findByExternalSubject(PROVIDER, this.directory.directoryId, found.dn);
        if (!user || user.id !== id) return { kind: 'refused', exists: true };
        return { kind: 'ok', user };
      } catch (err) {
        if (!isPgError(err, PgErrorCodes.UNIQUE_VIOLATION)) throw err;
        // a simultaneous first login of the same DN won: use it; else the name was just taken
        const bound = await this.users.findByExternalSubject(PROVIDER, this.directory.directoryId, found.dn);
        if (bound) return { kind: 'ok', user: await this.sync(bound, found) };
      }
    }
    this.logger.warn(
      `directory user ${JSON.stringify(found.dn)} refused: its name ${JSON.stringify(base)} belongs to another Gatehouse user (LDAP_USERNAME_CLASH=${this.ldap().usernameClash})`,
    );
    return { kind: 'name-clash', username: base };
  }

  private ldap() {
    const cfg = this.options.ldap;
    if (!cfg) throw new Error('LDAP is not configured');
    return cfg;
  }
}
