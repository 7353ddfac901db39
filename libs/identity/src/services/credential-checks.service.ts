import { Injectable } from '@nestjs/common';
import { IdentityError } from '../identity.error';
import { UserRepository, type UserWithPasswordHash } from '../repositories/user.repository';
import { LdapLoginService, type LdapVerification } from './ldap-login.service';
import { PasswordHasher } from './password-hasher.service';

/** A password check's answer: the user if the password is right (grant types not checked), and whether the name exists. */
export interface PasswordCheck {
  user: UserWithPasswordHash | null;
  exists: boolean;
}

/** The first step's answer: decided here, or handed on to the directory (with the user looked up, if any). */
export type LocalPasswordCheck =
  ({ outcome: 'decided' } & PasswordCheck) | { outcome: 'directory'; known: UserWithPasswordHash | null };

/**
 * The password checks of every way in (ADR 0026): `POST /api/login` runs them as the Passport strategies
 * `local` then `ldap`, MQTT CONNECT (through the transport) runs `password()`, the same two steps in
 * the same order. With LDAP (SPEC 2.1a, ADR 0024): a federated user, or a name unknown here, is
 * checked against the directory (no password is stored); a local user by its hash, and only when that
 * fails is the directory asked whether a directory user of that name has this password (a clash: never
 * the local user).
 */
@Injectable()
export class CredentialChecks {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly ldap: LdapLoginService,
  ) {}

  /** Both steps in order, as the login composition runs them. */
  async password(username: string, password: string): Promise<PasswordCheck> {
    const local = await this.localPassword(username, password);
    if (local.outcome === 'decided') return { user: local.user, exists: local.exists };
    return this.directoryPassword(username, password, local.known);
  }

  /**
   * Step 1: the Gatehouse password of a local user (argon2, the same work for an unknown name). Hands
   * on to the directory when LDAP is on and the name is federated or unknown here, or when a local
   * user's password failed (the directory may hold another user of that name).
   */
  async localPassword(username: string, password: string): Promise<LocalPasswordCheck> {
    const user = await this.users.findWithPasswordHashByUsername(username);
    if (this.ldap.enabled && (!user || user.identityProvider !== 'local'))
      return { outcome: 'directory', known: user };
    const ok = await this.hasher.verify(user?.passwordHash, password);
    if (user && ok) return { outcome: 'decided', user, exists: true };
    if (user && this.ldap.enabled) return { outcome: 'directory', known: user };
    return { outcome: 'decided', user: null, exists: !!user };
  }

  /**
   * Step 2: the directory (LdapLoginService). `known`: the Gatehouse user named `username` as step 1
   * found it (looked up when not given). A local user is never logged in here, and its login does not
   * depend on the directory (an outage is a wrong password). Throws `IDENTITY.DIRECTORY_UNAVAILABLE`
   * when the directory cannot decide a federated or unknown name, `IDENTITY.FEDERATED_NAME_CLASH` when
   * LDAP_USERNAME_CLASH refuses the directory user.
   */
  async directoryPassword(
    username: string,
    password: string,
    known?: UserWithPasswordHash | null,
  ): Promise<PasswordCheck> {
    const user = known === undefined ? await this.users.findWithPasswordHashByUsername(username) : known;
    if (!this.ldap.enabled) return { user: null, exists: user !== null };
    if (user?.identityProvider !== 'local')
      return fromDirectory(await this.ldap.verify(username, password, user));
    try {
      return fromDirectory(await this.ldap.verify(username, password, user));
    } catch (err) {
      if (err instanceof IdentityError && err.code === 'IDENTITY.DIRECTORY_UNAVAILABLE')
        return { user: null, exists: true };
      throw err;
    }
  }
}

function fromDirectory(v: LdapVerification): PasswordCheck {
  switch (v.kind) {
    case 'ok':
      return { user: v.user, exists: true };
    case 'refused':
      return { user: null, exists: v.exists };
    case 'name-clash':
      throw new IdentityError(
        'IDENTITY.FEDERATED_NAME_CLASH',
        `the directory user "${v.username}" cannot log in: a Gatehouse user holds that name (LDAP_USERNAME_CLASH=refuse); an administrator must resolve it`,
      );
  }
}
