import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  PasswordHasher,
  PasswordPolicyService,
  type RegistrationAttempt,
  type RegistrationAttemptSink,
  UserService,
} from '@gatehouse/identity';
import { parseAndVerifyCsr, type VerifiedCsr } from '../ca/csr';
import { CertificateAuthority } from '../ca/certificate-authority.service';
import { ClientRegistryError } from '../client-registry.error';
import { CLIENT_REGISTRY_OPTIONS, type ClientRegistryOptions } from '../client-registry.options';
import type { RegistrationRequestEntity } from '../entities';
import {
  type NewRegistrationRequest,
  RegistrationRequestRepository,
} from '../repositories/registration-request.repository';
import { pairingId } from './pairing-id';
import { RegisterRateLimiter } from './register-rate-limiter';
import { RegistryStateService } from './registry-state.service';

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/;

/** What a device sends to `POST /api/client-registry/register` (SPEC 4, REST flow). */
export interface RegisterInput {
  username: string;
  password?: string;
  csr?: string;
  context?: string;
  requestedRoles?: string[];
  requestedPermissions?: {
    context: 'mqtt' | 'http';
    resource: string;
    operation: 'read' | 'write' | 'readWrite';
  }[];
  ip?: string;
}

export type RegisterOutcome =
  | { kind: 'pending'; requestId: string; pairingId: string }
  | { kind: 'granted'; username: string; certificate?: string; caCertificate?: string };

interface Credential {
  username: string;
  password?: string;
  csr?: VerifiedCsr;
}

/**
 * The device side of the client registry (SPEC 4): the REST flow (record, poll, collect the
 * certificate) and the MQTT flow (an unknown user's CONNECT recorded while unlocked; the identity lib
 * calls it through the REGISTRATION_ATTEMPT_SINK port). Nobody can take over someone else's request:
 * a poll must carry the same password and the same CSR public key as the recorded request.
 */
@Injectable()
export class RegistrationService implements RegistrationAttemptSink {
  private readonly logger = new Logger('ClientRegistry');

  constructor(
    private readonly requests: RegistrationRequestRepository,
    @Inject(CLIENT_REGISTRY_OPTIONS) private readonly options: ClientRegistryOptions,
    private readonly state: RegistryStateService,
    private readonly limiter: RegisterRateLimiter,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicyService,
    private readonly users: UserService,
    private readonly ca: CertificateAuthority,
  ) {}

  async register(input: RegisterInput): Promise<RegisterOutcome> {
    await this.limiter.hit(input.ip);
    if (input.password === undefined && input.csr === undefined) {
      throw new ClientRegistryError(
        'REGISTRY.INVALID_REQUEST',
        'a registration needs a password, a csr, or both',
      );
    }
    const csr = input.csr !== undefined ? await parseAndVerifyCsr(input.csr, input.username) : undefined;
    if (input.password !== undefined) this.policy.check(input.password, { username: input.username });
    const cred: Credential = {
      username: input.username,
      ...(input.password !== undefined ? { password: input.password } : {}),
      ...(csr ? { csr } : {}),
    };
    await this.requests.sweep(this.options.grantGraceSeconds);

    await this.assertNoOtherSpelling(input.username);
    if (await this.users.findByUsername(input.username)) {
      // Granted: the device collects its certificate with the same credentials during the grace period.
      const granted = await this.requests.findLatestWithHash(input.username, 'granted');
      if (granted && this.withinGrace(granted) && (await this.matches(granted, cred))) {
        return {
          kind: 'granted',
          username: granted.username,
          ...(granted.certificatePem
            ? { certificate: granted.certificatePem, caCertificate: this.ca.certificatePem }
            : {}),
        };
      }
      throw new ClientRegistryError('REGISTRY.CONFLICT', `a user named "${input.username}" exists`);
    }
    const pending = await this.requests.findLatestWithHash(input.username, 'pending');
    if (pending) return this.poll(pending, cred, input.ip);
    const rejected = await this.requests.findLatestWithHash(input.username, 'rejected');
    if (rejected && rejected.expiresAt.getTime() > Date.now() && (await this.matches(rejected, cred))) {
      throw new ClientRegistryError('REGISTRY.REJECTED', 'this registration request was rejected');
    }
    if (!(await this.state.isUnlocked()))
      throw new ClientRegistryError('REGISTRY.LOCKED', 'the client registry is locked');
    await this.assertRoomForAnother();
    const created = await this.insert({
      username: input.username,
      source: 'rest',
      pairingId: pairingId({
        username: input.username,
        password: input.password,
        publicKeySha256: csr?.publicKeySha256,
      }),
      hasPassword: input.password !== undefined,
      passwordHash: input.password !== undefined ? await this.hasher.hash(input.password) : null,
      csrPem: csr?.pem ?? null,
      publicKeySha256: csr?.publicKeySha256 ?? null,
      context: input.context ?? null,
      requestedRoles: input.requestedRoles ?? [],
      requestedPermissions: input.requestedPermissions ?? [],
      remoteAddress: input.ip ?? null,
    });
    if (created) return { kind: 'pending', requestId: created.id, pairingId: created.pairingId };
    // Lost a race with a request for the same username: treat ours as a poll of theirs.
    const raced = await this.requests.findLatestWithHash(input.username, 'pending');
    if (!raced)
      throw new ClientRegistryError(
        'REGISTRY.CONFLICT',
        'a concurrent request for this username was decided',
      );
    return this.poll(raced, cred, input.ip);
  }

  /** MQTT flow (SPEC 4): see {@link RegistrationAttemptSink}. Never throws for a refusal: answers false. */
  async recordMqttAttempt(a: RegistrationAttempt): Promise<boolean> {
    if (
      !USERNAME_PATTERN.test(a.username) ||
      a.username.length < 3 ||
      a.username.length > 128 ||
      a.password.length > 256
    )
      return false;
    if ((await this.limiter.tryHit(a.remoteAddress)) > 0) return false;
    await this.requests.sweep(this.options.grantGraceSeconds);
    try {
      await this.assertNoOtherSpelling(a.username);
    } catch (err) {
      this.logger.log(
        `MQTT registration of ${JSON.stringify(a.username)} not recorded: ${(err as Error).message}`,
      );
      return false;
    }
    const pending = await this.requests.findLatestWithHash(a.username, 'pending');
    if (pending) return this.pollMqtt(pending, a);
    if (!(await this.state.isUnlocked())) return false;
    // A rejected device does not come back as a new request with the same credentials until that request expires.
    const rejected = await this.requests.findLatestWithHash(a.username, 'rejected');
    if (
      rejected &&
      rejected.expiresAt.getTime() > Date.now() &&
      rejected.passwordHash &&
      (await this.hasher.verify(rejected.passwordHash, a.password))
    ) {
      return false;
    }
    try {
      this.policy.check(a.password, { username: a.username });
      await this.assertRoomForAnother();
    } catch (err) {
      this.logger.log(
        `MQTT registration of ${JSON.stringify(a.username)} not recorded: ${(err as Error).message}`,
      );
      return false;
    }
    const created = await this.insert({
      username: a.username,
      source: 'mqtt',
      pairingId: pairingId({ username: a.username, password: a.password }),
      hasPassword: true,
      passwordHash: await this.hasher.hash(a.password),
      clientId: a.clientId.slice(0, 1024),
      remoteAddress: a.remoteAddress ?? null,
    });
    if (created) {
      this.logger.log(
        `registration request recorded from an MQTT CONNECT: user ${JSON.stringify(a.username)}, pairing ID ${created.pairingId}`,
      );
      return true;
    }
    const raced = await this.requests.findLatestWithHash(a.username, 'pending');
    return raced ? this.pollMqtt(raced, a) : false;
  }

  /**
   * Usernames are unique regardless of case (SPEC 1.3): a request for `ADMIN` while `admin` exists,
   * or while a request for `Admin` is pending, is a conflict (the same spelling goes on as before).
   */
  private async assertNoOtherSpelling(username: string): Promise<void> {
    const user = await this.users.spellingOf(username);
    if (user !== null && user !== username) {
      throw new ClientRegistryError(
        'REGISTRY.CONFLICT',
        `a user named "${user}" exists (usernames are unique regardless of case)`,
      );
    }
    const pending = await this.requests.findPendingOtherSpelling(username);
    if (pending !== null) {
      throw new ClientRegistryError(
        'REGISTRY.CONFLICT',
        `a request for "${pending}" is pending (usernames are unique regardless of case)`,
      );
    }
  }

  private async poll(
    pending: RegistrationRequestEntity,
    cred: Credential,
    ip: string | undefined,
  ): Promise<RegisterOutcome> {
    if (!(await this.matches(pending, cred))) {
      throw new ClientRegistryError(
        'REGISTRY.CONFLICT',
        `a request for "${cred.username}" with other credentials is pending`,
      );
    }
    await this.touch(pending.id, ip);
    return { kind: 'pending', requestId: pending.id, pairingId: pending.pairingId };
  }

  private async pollMqtt(pending: RegistrationRequestEntity, a: RegistrationAttempt): Promise<boolean> {
    if (!pending.passwordHash || !(await this.hasher.verify(pending.passwordHash, a.password))) return false;
    await this.touch(pending.id, a.remoteAddress);
    return true;
  }

  /** Same credentials as recorded: the same password (or none), and the same CSR key (or none). */
  private async matches(r: RegistrationRequestEntity, cred: Credential): Promise<boolean> {
    if ((r.publicKeySha256 ?? null) !== (cred.csr?.publicKeySha256 ?? null)) return false;
    if (!r.hasPassword) return cred.password === undefined;
    if (r.passwordHash === null) return false;
    if (cred.password === undefined) return false;
    return this.hasher.verify(r.passwordHash, cred.password);
  }

  private withinGrace(r: RegistrationRequestEntity): boolean {
    return r.decidedAt !== null && r.decidedAt.getTime() + this.options.grantGraceSeconds * 1000 > Date.now();
  }

  private async touch(id: string, ip: string | undefined): Promise<void> {
    await this.requests.recordAttempt(id, ip);
  }

  private async assertRoomForAnother(): Promise<void> {
    if ((await this.requests.countPending()) >= this.options.maxPendingRequests) {
      throw new ClientRegistryError(
        'REGISTRY.TOO_MANY_PENDING',
        'too many registration requests are pending; try again later',
      );
    }
  }

  /** Inserts a pending request; null when another pending request for the username exists (unique index). */
  private insert(
    values: Omit<NewRegistrationRequest, 'expiresAt'>,
  ): Promise<RegistrationRequestEntity | null> {
    return this.requests.insertPending({
      ...values,
      expiresAt: new Date(Date.now() + this.options.requestTtlSeconds * 1000),
    });
  }
}
