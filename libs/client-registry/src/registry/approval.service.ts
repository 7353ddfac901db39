import { Inject, Injectable } from '@nestjs/common';
import {
  CertificateService,
  type GrantType,
  type PermissionInput,
  UserService,
  type UserView,
} from '@gatehouse/identity';
import { isCanonicalUuid, type Transaction, Transactions } from '@gatehouse/persistence';
import { parseAndVerifyCsr } from '../ca/csr';
import { CertificateAuthority } from '../ca/certificate-authority.service';
import { ClientRegistryError } from '../client-registry.error';
import { CLIENT_REGISTRY_OPTIONS, type ClientRegistryOptions } from '../client-registry.options';
import { REGISTRATION_STATES, type RegistrationRequestEntity, type RegistrationState } from '../entities';
import { RegistrationRequestRepository } from '../repositories/registration-request.repository';
import { toRequestView, type RegistrationRequestView } from './registration-view';

export interface GrantInput {
  roles?: string[];
  permissions?: PermissionInput[];
}

export interface GrantResult {
  request: RegistrationRequestView;
  user: UserView;
}

/**
 * The administrator side of the client registry (SPEC 4): list requests, grant (creates the user with
 * no permissions unless granted here, grant types from the request's credentials, and signs the CSR),
 * reject. The no-escalation check on what a grant hands out is the caller's (admin-api).
 */
@Injectable()
export class ApprovalService {
  constructor(
    private readonly transactions: Transactions,
    private readonly requests: RegistrationRequestRepository,
    @Inject(CLIENT_REGISTRY_OPTIONS) private readonly options: ClientRegistryOptions,
    private readonly users: UserService,
    private readonly certificates: CertificateService,
    private readonly ca: CertificateAuthority,
  ) {}

  /** Newest first; `state` filters. Cursor: base64url of the last row's (createdAt, id). */
  async list(q: {
    state?: RegistrationState;
    limit: number;
    cursor?: string;
  }): Promise<{ items: RegistrationRequestView[]; nextCursor: string | null }> {
    await this.requests.sweep(this.options.grantGraceSeconds);
    const before = q.cursor ? decodeCursor(q.cursor) : undefined;
    const entities = await this.requests.list({
      state: q.state,
      before: before && { createdAt: before[0], id: before[1] },
      limit: q.limit + 1,
    });
    const more = entities.length > q.limit;
    const items = entities.slice(0, q.limit).map(toRequestView);
    const last = entities[q.limit - 1];
    return { items, nextCursor: more && last ? encodeCursor(last.createdAt, last.id) : null };
  }

  /**
   * How many requests are in each state (every state listed, 0 included). Read-only: a pending request
   * past its expiry counts as `expired` without being swept (for the metrics scrape, SPEC 6).
   */
  async countByState(): Promise<Record<RegistrationState, number>> {
    const rows = await this.requests.countByState();
    const counts = Object.fromEntries(REGISTRATION_STATES.map((s) => [s, 0])) as Record<
      RegistrationState,
      number
    >;
    for (const r of rows) if (r.state in counts) counts[r.state] += r.n;
    return counts;
  }

  async get(id: string): Promise<RegistrationRequestView> {
    await this.requests.sweep(this.options.grantGraceSeconds);
    const row = isCanonicalUuid(id.toLowerCase()) ? await this.requests.findById(id) : null;
    if (!row)
      throw new ClientRegistryError('REGISTRY.REQUEST_NOT_FOUND', `registration request ${id} not found`);
    return toRequestView(row);
  }

  /**
   * Grants a pending request in one transaction: creates the user (the request's password hash; grant
   * types `password` and/or `certificate`), signs the CSR (CN = username) and registers the certificate.
   */
  async grant(id: string, input: GrantInput, decidedBy: string): Promise<GrantResult> {
    const { userId } = await this.transactions.run(async (tx) => {
      const r = await this.lockPending(tx, id);
      const grantTypes: GrantType[] = [];
      if (r.passwordHash) grantTypes.push({ method: 'password', isRequired: false });
      if (r.csrPem) grantTypes.push({ method: 'certificate', isRequired: false });
      const user = await this.users.create(
        { username: r.username, roles: input.roles ?? [], permissions: input.permissions ?? [], grantTypes },
        { passwordHash: r.passwordHash, transaction: tx },
      );
      let certificatePem: string | null = null;
      let fingerprint: string | null = null;
      if (r.csrPem) {
        const issued = await this.ca.issue(await parseAndVerifyCsr(r.csrPem, r.username), r.username);
        await this.certificates.record(tx, user.id, issued);
        certificatePem = issued.certificatePem;
        fingerprint = issued.fingerprint;
      }
      await this.requests.markGranted(
        id,
        { decidedBy, userId: user.id, certificatePem, certificateFingerprint: fingerprint },
        tx,
      );
      return { userId: user.id };
    });
    return { request: await this.get(id), user: await this.users.get(userId) };
  }

  /** Rejects a pending request. The device's polls with the same credentials then answer 403 until it expires. */
  async reject(id: string, decidedBy: string): Promise<RegistrationRequestView> {
    await this.transactions.run(async (tx) => {
      await this.lockPending(tx, id);
      await this.requests.markRejected(id, decidedBy, tx);
    });
    return this.get(id);
  }

  /** Inside a transaction: the request, locked, and still pending and unexpired. */
  private async lockPending(tx: Transaction, id: string): Promise<RegistrationRequestEntity> {
    if (!isCanonicalUuid(id.toLowerCase()))
      throw new ClientRegistryError('REGISTRY.REQUEST_NOT_FOUND', `registration request ${id} not found`);
    const r = await this.requests.lockForUpdate(id, tx);
    if (!r)
      throw new ClientRegistryError('REGISTRY.REQUEST_NOT_FOUND', `registration request ${id} not found`);
    if (r.state === 'expired' || (r.state === 'pending' && r.expiresAt.getTime() <= Date.now())) {
      throw new ClientRegistryError('REGISTRY.REQUEST_EXPIRED', `registration request ${id} has expired`);
    }
    if (r.state !== 'pending')
      throw new ClientRegistryError(
        'REGISTRY.REQUEST_NOT_PENDING',
        `registration request ${id} is already ${r.state}`,
      );
    return r;
  }
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify({ a: at.toISOString(), i: id }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { a?: unknown; i?: unknown };
    if (
      typeof p.a === 'string' &&
      typeof p.i === 'string' &&
      isCanonicalUuid(p.i.toLowerCase()) &&
      !Number.isNaN(Date.parse(p.a))
    )
      return [p.a, p.i];
  } catch {
    /* fall through */
  }
  throw new ClientRegistryError('REGISTRY.INVALID_CURSOR', 'cursor is not one this API issued');
}
